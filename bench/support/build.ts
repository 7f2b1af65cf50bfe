/** Shared by the bench/ scripts: builds in temporary copies of the project. */
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchDir, children, log, onCleanup, root } from "./run.ts";

export interface BuildOptions {
  /** "worktree" (default): the files as they are now; otherwise a git ref read with git archive. */
  source?: string;
  /** Rewrites files of the copy before building (relative path -> new content from old). */
  patch?: Record<string, (content: string) => string>;
  /** Extra files written into the copy before building. */
  add?: Record<string, string>;
  label?: string;
  /** What to copy from the project (default: everything the app build reads). */
  copy?: string[];
}

const PROJECT_FILES = ["src", "public", "config", "app.config.ts", "tsconfig.json", "package.json"];

/**
 * Copies what the app build reads into a temp dir (node_modules symlinked), applies patches and
 * runs `vinxi build` there. Returns the copy's folder (its .output/ holds the build).
 */
export async function buildApp(options: BuildOptions = {}): Promise<string> {
  // BENCH_BUILD_CACHE=<dir>: keep builds in <dir>/<label> and reuse them (for iterating on bench/).
  const cache = process.env.BENCH_BUILD_CACHE;
  if (cache && existsSync(join(cache, options.label ?? "build", ".output/server/index.mjs"))) {
    log(`reusing ${join(cache, options.label ?? "build")} (BENCH_BUILD_CACHE)`);
    return join(cache, options.label ?? "build");
  }
  const dir = cache
    ? join(cache, options.label ?? "build")
    : await mkdtemp(join(tmpdir(), `bench-app-${options.label ?? "build"}-`));
  if (cache) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
  } else onCleanup(() => rm(dir, { recursive: true, force: true }));
  const source = options.source ?? "worktree";
  if (source === "worktree") {
    for (const entry of options.copy ?? PROJECT_FILES) await cp(join(root, entry), join(dir, entry), { recursive: true });
  } else {
    // Older refs may lack some of the entries (config/ came with ADR 0015).
    const inRef = new Set(execFileSync("git", ["ls-tree", "--name-only", source], { cwd: root, encoding: "utf8" }).split("\n"));
    const entries = (options.copy ?? PROJECT_FILES).filter((entry) => inRef.has(entry));
    const archive = execFileSync("git", ["archive", source, ...entries], { cwd: root, maxBuffer: 1 << 30 });
    execFileSync("tar", ["-x", "-C", dir], { input: archive });
  }
  await linkNodeModules(dir);
  for (const [file, rewrite] of Object.entries(options.patch ?? {})) {
    const path = join(dir, file);
    const before = await readFile(path, "utf8");
    const after = rewrite(before);
    if (after === before) throw new Error(`bench patch of ${file} changed nothing (the app changed?)`);
    await writeFile(path, after);
  }
  for (const [file, content] of Object.entries(options.add ?? {})) {
    await mkdir(join(dir, file, ".."), { recursive: true });
    await writeFile(join(dir, file), content);
  }
  const started = Date.now();
  await run(process.execPath, [join(root, "node_modules/vinxi/bin/cli.mjs"), "build"], dir);
  log(`built ${options.label ?? "app"} (${source}) in ${((Date.now() - started) / 1000).toFixed(1)} s: ${dir}`);
  return dir;
}

/**
 * The copy gets its own node_modules folder whose entries link to the project's packages. Not one
 * link to the whole folder: build tools keep state under node_modules/.* (the server-functions
 * plugin writes node_modules/.tanstack-start/server-functions-manifest.json relative to the cwd),
 * and a shared one would let this build and any other build of the project overwrite each other's.
 */
async function linkNodeModules(dir: string): Promise<void> {
  const target = join(dir, "node_modules");
  await mkdir(target);
  for (const entry of await readdir(join(root, "node_modules"))) {
    if (entry.startsWith(".") && entry !== ".bin") continue;
    await symlink(join(root, "node_modules", entry), join(target, entry));
  }
}

/**
 * Builds the baseline variant (bench/variants/session-switch.ts): the same sources, middleware.ts calling the bench switch. */
export async function buildVariant(source: string): Promise<string> {
  const switchSource = await readFile(join(benchDir, "variants/session-switch.ts"), "utf8");
  return buildApp({
    source,
    label: "variant",
    add: { "src/bench-session-switch.ts": switchSource },
    patch: {
      "src/middleware.ts": (text) => {
        const call = "await updateSession(event);";
        if (!text.includes(call)) throw new Error(`src/middleware.ts no longer contains "${call}": update buildVariant`);
        return `import { benchSession } from "~/bench-session-switch";\n${text.replace(call, "await benchSession(event);")}`;
      },
    },
  });
}

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, NODE_ENV: "production" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      children.delete(child);
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(" ")} in ${cwd} failed:\n${output.slice(-4000)}`));
    });
  });
}
