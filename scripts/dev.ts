/**
 * `npm run dev`: one command from a fresh clone to a running app.
 *
 * Backend choice, first match wins:
 *   1. SUPABASE_BACKEND=embedded|cli|env forces one.
 *   2. `.env` (or the shell) sets VITE_SUPABASE_URL → use that project as configured ("env").
 *   3. The Supabase CLI and a running Docker engine → `supabase start` ("cli").
 *   4. Otherwise the local Supabase of packages/local-supabase ("embedded").
 *
 * Three processes with their own lifetimes (ADR 0046): this supervisor; the local Supabase
 * (`local-supabase serve`, the one `local-supabase start` would run in the background), used and
 * left running when it already runs, else started and stopped here; and the app's dev server
 * (`vinxi dev`), restarted when it crashes while the backend and its data stay up. SIGINT,
 * SIGTERM or SIGHUP to any of them, or this command's parent going away, stops everything this
 * command started, and nothing else.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { fileURLToPath } from "node:url";
import { parseEnv, promisify } from "node:util";
import { findRunningStack, isAlive, type RunningStack, spawnServe, stopStack, waitForStack } from "local-supabase";
import { cliAppEnv, localAppEnv, localRlsClientPassword, writeAppEnvFile } from "./local-env.ts";

const run = promisify(execFile);
const vinxiCli = fileURLToPath(new URL("../node_modules/vinxi/bin/cli.mjs", import.meta.url));
const followParent = fileURLToPath(new URL("./follow-parent.mjs", import.meta.url));

/** First start of the local Supabase: initdb, every migration and the seed. */
const BACKEND_START_TIMEOUT_MS = 180_000;
const APP_STOP_TIMEOUT_MS = 10_000;
const WATCH_MS = 1_000;
/** More crashes than this within CRASH_WINDOW_MS: stop restarting and wait to be told. */
const MAX_QUICK_CRASHES = 3;
const CRASH_WINDOW_MS = 60_000;
const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

type BackendKind = "embedded" | "cli" | "env";

interface Backend {
  env: Record<string, string>;
  describe: string;
  /** A backend this command uses but did not start: its process, to say when it ends. */
  usedPid?: number;
  stop(): Promise<void>;
}

function dotenv(file: string): Record<string, string> {
  return existsSync(file) ? (parseEnv(readFileSync(file, "utf8")) as Record<string, string>) : {};
}

async function succeeds(cmd: string, args: string[]): Promise<boolean> {
  try {
    await run(cmd, args, { timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

async function chooseBackend(fileEnv: Record<string, string>): Promise<BackendKind> {
  const forced = process.env.SUPABASE_BACKEND;
  if (forced) {
    if (forced === "embedded" || forced === "cli" || forced === "env") return forced;
    throw new Error(`SUPABASE_BACKEND must be embedded, cli or env (got "${forced}")`);
  }
  if (process.env.VITE_SUPABASE_URL || fileEnv.VITE_SUPABASE_URL) return "env";
  if ((await succeeds("supabase", ["--version"])) && (await succeeds("docker", ["info"]))) return "cli";
  return "embedded";
}

function prefixLines(stream: NodeJS.ReadableStream | null, prefix: string, out: NodeJS.WriteStream): void {
  let pending = "";
  stream?.setEncoding("utf8");
  stream?.on("data", (chunk: string) => {
    const lines = (pending + chunk).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) out.write(`${prefix}${line}\n`);
  });
  stream?.on("end", () => pending && out.write(`${prefix}${pending}\n`));
}

/** `onSpawn` gets the backend's process the moment it exists, so a stop signal can reach it. */
async function embeddedBackend(onSpawn: (child: ChildProcess) => void): Promise<Backend> {
  const location = { workdir: process.env.SUPABASE_WORKDIR || undefined };
  const running = await findRunningStack(location);
  let stack: RunningStack;
  let child: ChildProcess | undefined;
  if (running) {
    stack = running;
  } else {
    child = spawnServe({ ...location, stopWith: process.pid, stdio: "pipe" });
    onSpawn(child);
    prefixLines(child.stdout, "[local-supabase] ", process.stdout);
    prefixLines(child.stderr, "[local-supabase] ", process.stderr);
    const started = child;
    try {
      stack = await waitForStack(
        location,
        started.pid ?? -1,
        () => started.exitCode !== null || started.signalCode !== null,
        BACKEND_START_TIMEOUT_MS,
      );
    } catch (error) {
      started.kill("SIGTERM");
      await waitForExit(started, BACKEND_START_TIMEOUT_MS);
      throw error;
    }
  }
  const env = await localAppEnv(stack, await localRlsClientPassword());
  await writeAppEnvFile(env);
  const where = `API ${stack.apiUrl}, mailbox ${stack.mailboxUrl}, Postgres 127.0.0.1:${new URL(stack.dbUrl).port}`;
  return {
    env,
    usedPid: running ? stack.pid : undefined,
    describe: running
      ? `local Supabase already running (pid ${stack.pid}; ${where}); left running, \`npm run db:stop\` stops it`
      : `local Supabase (${where})`,
    stop: async () => {
      if (child && child.exitCode === null && child.signalCode === null) await stopStack(stack);
    },
  };
}

async function cliBackend(): Promise<Backend> {
  const started = spawn("supabase", ["start"], { stdio: "inherit" });
  const code = await new Promise<number | null>((resolve) => started.on("close", resolve));
  if (code !== 0) throw new Error("`supabase start` failed; see its output above");
  const { stdout } = await run("supabase", ["status", "-o", "env"]);
  const status = parseEnv(stdout) as Record<string, string>;
  return {
    env: cliAppEnv(status),
    describe: `Supabase CLI stack at ${status.API_URL} (left running; stop it with \`supabase stop\`)`,
    stop: async () => undefined,
  };
}

/** A process's parent, from /proc (Linux); undefined once it is gone or where /proc is missing. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

/** npm titles itself `npm run dev`; started as `node …/npm-cli.js` its arguments say so. */
function isNpm(pid: number): boolean {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split(/[\0 ]/);
    return args[0] === "npm" || args.slice(0, 2).some((arg) => /(^|\/)npm(-cli\.js)?$/.test(arg));
  } catch {
    return false;
  }
}

/**
 * This process and, under `npm run dev`, each one up to npm itself, with the parent each has now.
 * A parent that goes away re-parents its child at once, so a changed parent anywhere in the line
 * means `npm run dev`'s parent (an IDE's task, a terminal) ended without a signal reaching us.
 */
function watchedLineage(): { pid: number; parent: number | undefined }[] {
  const lineage = [{ pid: process.pid, parent: process.ppid as number | undefined }];
  if (!process.env.npm_lifecycle_event) return lineage;
  for (let pid = process.ppid, depth = 0; depth < 3 && pid > 1; depth++) {
    const parent = parentOf(pid);
    if (parent === undefined) break;
    lineage.push({ pid, parent });
    if (isNpm(pid)) return lineage;
    pid = parent;
  }
  return lineage.slice(0, 1);
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

/** nohup: SIGHUP ignored from the start means "outlive the terminal", parent included. */
function hangupIgnored(): boolean {
  try {
    const mask = /^SigIgn:\s*([0-9a-f]+)$/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
    return mask !== undefined && (BigInt(`0x${mask}`) & 1n) === 1n;
  } catch {
    return false;
  }
}

/**
 * HOST as the user meant it: tcsh (and some CI shells) export HOST as the machine's own name,
 * which would put the dev server on the network.
 */
function listenHost(configured: string | undefined): string {
  return configured && configured !== hostname() ? configured : "localhost";
}

async function main(): Promise<void> {
  // Before anything slow: a stop, or a parent that goes away, during the backend's first start
  // must still stop what has been started.
  const outliveTerminal = hangupIgnored();
  const lineage = outliveTerminal ? [] : watchedLineage();
  let backend: Backend | undefined = undefined;
  let startingBackend: ChildProcess | undefined;
  let app: ChildProcess | undefined;
  let stopping = false;
  const crashes: number[] = [];

  const shutdown = async (why: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    console.log(`npm run dev: stopping (${why})`);
    if (app && app.exitCode === null && app.signalCode === null) {
      signalGroup(app, "SIGTERM");
      if (!(await waitForExit(app, APP_STOP_TIMEOUT_MS))) signalGroup(app, "SIGKILL");
    }
    if (backend) {
      await backend.stop();
    } else if (startingBackend) {
      startingBackend.kill("SIGTERM");
      await waitForExit(startingBackend, BACKEND_START_TIMEOUT_MS);
    }
    process.exit(exitCode);
  };
  for (const signal of STOP_SIGNALS) {
    if (signal === "SIGHUP" && outliveTerminal) continue;
    process.on(signal, () => void shutdown(signal, 0));
  }
  let usedBackendGone = false;
  setInterval(() => {
    if (backend?.usedPid && !usedBackendGone && !isAlive(backend.usedPid)) {
      usedBackendGone = true;
      console.error("\nnpm run dev: the local Supabase it was using has stopped; `npm run db:start` starts it again.\n");
    }
    if (lineage.some(({ pid, parent }) => (pid === process.pid ? process.ppid : parentOf(pid)) !== parent)) {
      void shutdown("the process that started it went away", 0);
    }
  }, WATCH_MS);

  const fileEnv = { ...dotenv(".env"), ...dotenv(".env.local") };
  const kind = await chooseBackend(fileEnv);
  backend =
    kind === "embedded"
      ? await embeddedBackend((child) => {
          startingBackend = child;
          child.on("exit", (code, signal) => {
            // While it starts, a failure is reported by the start itself.
            if (!backend) return;
            void shutdown(`the local Supabase ${signal ? `got ${signal}` : `exited with code ${code}`}`, code === 0 ? 0 : 1);
          });
        })
      : kind === "cli"
        ? await cliBackend()
        : { env: {}, describe: "the Supabase project configured in .env", stop: async () => undefined };
  if (stopping) return;

  // Explicit shell variables beat .env files, which beat what the chosen backend reports.
  const env: NodeJS.ProcessEnv = { ...backend.env, ...fileEnv, ...process.env, DEV_SUPERVISOR_PID: String(process.pid) };
  // vinxi's listener binds every interface inside a container or WSL unless HOST says otherwise,
  // and the dev server of a local backend lists its accounts on the home page.
  env.HOST = listenHost(process.env.HOST ?? fileEnv.HOST);
  const port = process.env.PORT ?? "3000";
  console.log(`Backend: ${backend.describe}`);
  console.log(`App:     http://localhost:${port}`);

  const startApp = () => {
    // Its own process group, so stopping it also stops the workers vinxi starts, and a Ctrl-C
    // meant for the terminal reaches this supervisor, which stops things in order.
    const child = spawn(process.execPath, ["--import", followParent, vinxiCli, "dev", "--port", port], {
      stdio: ["ignore", "inherit", "inherit"],
      env,
      detached: true,
    });
    app = child;
    child.on("exit", (code, signal) => {
      if (stopping || app !== child) return;
      // vinxi ends with code 0 when it is signalled; a crash is any other code or a hard kill.
      if (code === 0 || (signal && (STOP_SIGNALS as readonly string[]).includes(signal))) {
        void shutdown(`the app's dev server ${signal ? `got ${signal}` : "was stopped"}`, 0);
        return;
      }
      const now = Date.now();
      crashes.push(now);
      crashes.splice(
        0,
        crashes.findIndex((at) => at >= now - CRASH_WINDOW_MS),
      );
      const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
      if (crashes.length > MAX_QUICK_CRASHES) {
        console.error(
          `\nnpm run dev: the app's dev server ${how}, ${crashes.length} times in a minute. The backend keeps running.\n` +
            "Fix the error above, then type rs and Enter to start the app again (Ctrl-C stops everything).\n",
        );
        waitForRestartCommand();
        return;
      }
      console.error(`\nnpm run dev: the app's dev server ${how}. The backend and its data keep running; restarting the app.\n`);
      startApp();
    });
  };

  const waitForRestartCommand = () => {
    const onData = (chunk: Buffer) => {
      if (chunk.toString().trim() !== "rs") return;
      process.stdin.off("data", onData);
      process.stdin.pause();
      crashes.length = 0;
      startApp();
    };
    process.stdin.on("data", onData);
    process.stdin.resume();
  };

  startApp();
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
