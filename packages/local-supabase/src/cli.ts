import { existsSync } from "node:fs";
import { mkdir, open, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { AUTH_PREFIX } from "./auth/server.ts";
import { KEY_FILE_NAME } from "./auth/keys.ts";
import { LOCAL_SUPERUSER_PASSWORD, projectPaths, readConfig } from "./config.ts";
import { type LocalSupabase, startLocalSupabase } from "./index.ts";
import { Cluster } from "./postgres/cluster.ts";
import { REALTIME_PATH } from "./realtime/server.ts";
import {
  claimStack,
  findStackProcess,
  isAlive,
  removeStackFile,
  type RunningStack,
  STACK_LOG_NAME,
  type StackLocation,
  spawnServe,
  stopStack,
  waitForStack,
  writeStackFile,
} from "./stack.ts";

const usage = `usage: local-supabase <start|serve|stop|reset|status> [--workdir <dir>] [--data-dir <dir>] [-o env]

  start    the whole stack (Postgres, Auth, Realtime, mailbox) in the background, as
           \`supabase start\` does; initialises, migrates and seeds on first use. Its log: <data-dir>/stack.log
  serve    the same in the foreground; Ctrl-C, SIGTERM or SIGHUP stop it
           --stop-with <pid>: also stop when that process ends
  stop     stop the stack (and a Postgres left running on its own)
  reset    wipe the cluster and rebuild it from bootstrap, migrations and seed (a running stack is
           stopped first and started again after)
  status   print the URLs and keys (-o env: as KEY="value" lines)

  --workdir   the project folder holding supabase/config.toml (default: $SUPABASE_WORKDIR, else the current folder)
  --data-dir  the state folder, relative to the workdir (default: .cache/local-supabase)`;

/** First start: initdb, every migration and the seed; slow on a busy 2-core machine. */
const START_TIMEOUT_MS = 180_000;
const WATCH_MS = 1_000;

/** Probe for a running API: any HTTP answer counts, an API-key refusal included. */
const PROBE_TIMEOUT_MS = 1_000;

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    return true;
  } catch {
    return false;
  }
}

async function storedKeys(dataDir: string): Promise<{ publishableKey: string; secretKey: string } | undefined> {
  const file = join(dataDir, KEY_FILE_NAME);
  if (!existsSync(file)) return undefined;
  return JSON.parse(await readFile(file, "utf8")) as { publishableKey: string; secretKey: string };
}

/** The project's cluster as `startLocalSupabase()` without `ephemeral` runs it. */
function project({ workdir, dataDir }: StackLocation) {
  const paths = projectPaths(workdir, dataDir);
  const config = readConfig(paths.configToml);
  const cluster = new Cluster({
    dataDir: join(paths.dataDir, "pgdata"),
    port: config.db.port,
    superuserPassword: LOCAL_SUPERUSER_PASSWORD,
  });
  return { paths, config, cluster };
}

async function status(location: StackLocation, asEnv: boolean): Promise<void> {
  const { paths, config, cluster } = project(location);
  const apiUrl = `http://127.0.0.1:${config.api.port}`;
  const [stack, dbRunning, apiRunning, keys] = await Promise.all([
    findStackProcess(location),
    cluster.isRunning(),
    answers(`${apiUrl}${AUTH_PREFIX}/health`),
    storedKeys(paths.dataDir),
  ]);
  const values = {
    API_URL: apiUrl,
    AUTH_URL: `${apiUrl}${AUTH_PREFIX}`,
    REALTIME_URL: `ws://127.0.0.1:${config.api.port}${REALTIME_PATH}`,
    DB_URL: `postgresql://postgres:${LOCAL_SUPERUSER_PASSWORD}@127.0.0.1:${config.db.port}/postgres`,
    MAILPIT_URL: `http://127.0.0.1:${config.inbucket.port}`,
    PUBLISHABLE_KEY: keys?.publishableKey ?? "",
    SECRET_KEY: keys?.secretKey ?? "",
  };
  if (asEnv) {
    console.log(
      Object.entries(values)
        .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
        .join("\n"),
    );
    return;
  }
  const api = stack
    ? `${stack.state === "ready" ? "running" : "starting"}, pid ${stack.pid}${stack.stopWith ? ` (for process ${stack.stopWith})` : ""}`
    : apiRunning
      ? "answering, but not this project's stack (another process holds the port)"
      : "stopped";
  const noKeys = "(none yet: created by the first start)";
  console.log(
    [
      `local Supabase of ${paths.workdir} (state in ${paths.dataDir})`,
      "",
      `         API URL: ${values.API_URL}  [${api}]`,
      `        Auth URL: ${values.AUTH_URL}`,
      `    Realtime URL: ${values.REALTIME_URL}`,
      `          DB URL: ${values.DB_URL}  [${dbRunning ? "running" : "stopped"}]`,
      `     Mailpit URL: ${values.MAILPIT_URL}`,
      ` Publishable key: ${values.PUBLISHABLE_KEY || noKeys}`,
      `      Secret key: ${values.SECRET_KEY || noKeys}`,
    ].join("\n"),
  );
}

function describe(supabase: LocalSupabase, startedAt: number): string {
  const postgres = `Postgres ${supabase.startedPostgres ? "started" : "already running"} on 127.0.0.1:${new URL(supabase.dbUrl).port}`;
  return [
    supabase.prepared.bootstrapped ? "bootstrap applied" : undefined,
    `local Supabase ready in ${Math.round(performance.now() - startedAt)} ms: API ${supabase.apiUrl}, mailbox ${supabase.mailboxUrl}, ${postgres}`,
  ]
    .filter(Boolean)
    .join("\n");
}

/**
 * The whole stack in this process until a signal, or until `stopWith` ends. A signal that
 * arrives while it is still starting stops it as soon as it is up, so no Postgres is left behind.
 */
async function serve(location: StackLocation, stopWith: number | undefined): Promise<void> {
  // Output may go to a terminal or a parent that is gone: a write to a closed pipe must not
  // become an uncaught error that logs, fails to write, and so on for ever.
  process.stdout.on("error", () => undefined);
  process.stderr.on("error", () => undefined);
  let starting: Promise<LocalSupabase> | undefined = undefined;
  let stopping: Promise<void> | undefined;
  // Signals are handled from the first moment: one that arrives while the claim is written or
  // the stack starts lets both finish, then undoes them.
  const claiming = claimStack(location, stopWith);
  const stop = (why: string, code = 0) => {
    stopping ??= (async () => {
      console.log(`stopping (${why})`);
      try {
        await claiming;
        const supabase = await starting;
        await supabase?.stop();
      } catch (error) {
        console.error((error as Error).message);
        code = 1;
      } finally {
        await removeStackFile(location, process.pid);
      }
      process.exit(code);
    })();
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => stop(signal));
  // A failure inside a request handler must not leave Postgres running without its owner.
  process.on("uncaughtException", (error) => {
    console.error(error);
    stop("uncaught error", 1);
  });
  process.on("unhandledRejection", (reason) => {
    console.error(reason);
    stop("unhandled rejection", 1);
  });
  if (stopWith !== undefined) {
    const asChild = process.ppid === stopWith;
    // A parent that dies re-parents us at once, before it is reaped; a zombie still answers kill(0).
    setInterval(() => {
      if ((asChild && process.ppid !== stopWith) || !isAlive(stopWith)) stop(`process ${stopWith} ended`);
    }, WATCH_MS);
  }
  await claiming;
  if (stopping) return;
  const startedAt = performance.now();
  starting = startLocalSupabase({ ...location, log: (line) => console.log(line) });
  starting.catch(async (error: Error) => {
    if (stopping) return;
    await removeStackFile(location, process.pid);
    console.error(error.message);
    process.exit(1);
  });
  const supabase = await starting;
  if (stopping) return;
  const stack: RunningStack = {
    pid: process.pid,
    apiUrl: supabase.apiUrl,
    authUrl: supabase.authUrl,
    realtimeUrl: supabase.realtimeUrl,
    mailboxUrl: supabase.mailboxUrl,
    dbUrl: supabase.dbUrl,
    publishableKey: supabase.publishableKey,
    secretKey: supabase.secretKey,
    stopWith,
  };
  await writeStackFile(location, stack);
  console.log(describe(supabase, startedAt));
}

async function tail(file: string, from: number): Promise<string> {
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    const start = Math.max(from, size - 16_384);
    const buffer = Buffer.alloc(Math.max(size - start, 0));
    await handle.read(buffer, 0, buffer.length, start);
    return buffer.toString("utf8");
  } finally {
    await handle.close();
  }
}

async function startInBackground(location: StackLocation): Promise<void> {
  const running = await findStackProcess(location);
  if (running) {
    console.log(
      `The local Supabase already runs (pid ${running.pid}${running.state === "starting" ? ", still starting" : ""}).\n`,
    );
    return status(location, false);
  }
  const { paths } = project(location);
  await mkdir(paths.dataDir, { recursive: true });
  const logFile = join(paths.dataDir, STACK_LOG_NAME);
  const from = existsSync(logFile) ? (await stat(logFile)).size : 0;
  const child = spawnServe({ ...location, stdio: { logFile } });
  let exited = false;
  child.once("exit", () => (exited = true));
  try {
    await waitForStack(location, child.pid ?? -1, () => exited, START_TIMEOUT_MS);
  } catch (error) {
    if (!exited) child.kill("SIGTERM");
    throw new Error(`${(error as Error).message}. Its log (${logFile}):\n${await tail(logFile, from)}`);
  }
  child.unref();
  console.log(`${(await tail(logFile, from)).trimEnd()}\n\nStopped by \`local-supabase stop\`; log: ${logFile}\n`);
  await status(location, false);
}

async function stop(location: StackLocation): Promise<void> {
  const stack = await findStackProcess(location);
  if (stack) {
    await stopStack(stack);
    console.log(`local Supabase stopped (pid ${stack.pid})`);
  }
  const { cluster } = project(location);
  if (await cluster.isRunning()) {
    await cluster.stop();
    console.log("Postgres stopped");
  } else if (!stack) {
    console.log("local Supabase: nothing was running");
  }
}

async function reset(location: StackLocation): Promise<void> {
  const stack = await findStackProcess(location);
  if (stack?.stopWith) {
    throw new Error(`The local Supabase runs for process ${stack.stopWith} (e.g. \`npm run dev\`): stop that first, then reset.`);
  }
  if (stack) await stopStack(stack);
  const postgres = await startLocalSupabase({ ...location, services: "postgres", reset: true });
  const { migrations, seeded } = postgres.prepared;
  await postgres.stop();
  console.log(`Database rebuilt: bootstrap, ${migrations.length} migrations${seeded ? ", seed.sql" : ""}`);
  if (stack) await startInBackground(location);
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      workdir: { type: "string" },
      "data-dir": { type: "string" },
      "stop-with": { type: "string" },
      output: { type: "string", short: "o" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help) {
    console.log(usage);
    return;
  }
  const stopWith = values["stop-with"] === undefined ? undefined : Number(values["stop-with"]);
  if (
    rest.length > 0 ||
    (values.output !== undefined && (values.output !== "env" || command !== "status")) ||
    (stopWith !== undefined && (command !== "serve" || !Number.isInteger(stopWith) || stopWith <= 0))
  ) {
    throw new Error(usage);
  }
  // The Supabase CLI's variable for --workdir; only the command reads it, never the API.
  const location: StackLocation = {
    workdir: values.workdir ?? (process.env.SUPABASE_WORKDIR || undefined),
    dataDir: values["data-dir"],
  };
  switch (command) {
    case "start":
      return startInBackground(location);
    case "serve":
      return serve(location, stopWith);
    case "stop":
      return stop(location);
    case "reset":
      return reset(location);
    case "status":
      return status(location, values.output === "env");
    default:
      throw new Error(usage);
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
