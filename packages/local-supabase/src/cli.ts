import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { AUTH_PREFIX } from "./auth/server.ts";
import { KEY_FILE_NAME, loadOrCreateKeys } from "./auth/keys.ts";
import { LOCAL_SUPERUSER_PASSWORD, projectPaths, readConfig } from "./config.ts";
import { startLocalSupabase } from "./index.ts";
import { Cluster } from "./postgres/cluster.ts";
import { REALTIME_PATH } from "./realtime/server.ts";

const usage = `usage: local-supabase <start|stop|reset|status> [--workdir <dir>] [--data-dir <dir>] [-o env]

  start    start Postgres in the background (initialise, migrate, seed on first use)
  stop     stop it
  reset    wipe the cluster and rebuild it from bootstrap, migrations and seed
  status   print the URLs and keys (-o env: as KEY="value" lines)

  --workdir   the project folder holding supabase/config.toml (default: the current folder)
  --data-dir  the state folder, relative to the workdir (default: .cache/local-supabase)

Auth, Realtime and the mailbox run inside the process that calls startLocalSupabase()
(e.g. the project's dev command), on config.toml's ports.`;

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
function project(workdir: string | undefined, dataDir: string | undefined) {
  const paths = projectPaths(workdir, dataDir);
  const config = readConfig(paths.configToml);
  const cluster = new Cluster({
    dataDir: join(paths.dataDir, "pgdata"),
    port: config.db.port,
    superuserPassword: LOCAL_SUPERUSER_PASSWORD,
  });
  return { paths, config, cluster };
}

async function status(workdir: string | undefined, dataDir: string | undefined, asEnv: boolean): Promise<void> {
  const { paths, config, cluster } = project(workdir, dataDir);
  const apiUrl = `http://127.0.0.1:${config.api.port}`;
  const [dbRunning, apiRunning, keys] = await Promise.all([
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
  const state = (running: boolean) => (running ? "running" : "stopped");
  const noKeys = "(none yet: created by the first start)";
  console.log(
    [
      `local Supabase of ${paths.workdir} (state in ${paths.dataDir})`,
      "",
      `         API URL: ${values.API_URL}  [${apiRunning ? "running" : "stopped: served by startLocalSupabase(), e.g. the dev command"}]`,
      `        Auth URL: ${values.AUTH_URL}`,
      `    Realtime URL: ${values.REALTIME_URL}`,
      `          DB URL: ${values.DB_URL}  [${state(dbRunning)}]`,
      `     Mailpit URL: ${values.MAILPIT_URL}`,
      ` Publishable key: ${values.PUBLISHABLE_KEY || noKeys}`,
      `      Secret key: ${values.SECRET_KEY || noKeys}`,
    ].join("\n"),
  );
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      workdir: { type: "string" },
      "data-dir": { type: "string" },
      output: { type: "string", short: "o" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help) {
    console.log(usage);
    return;
  }
  if (rest.length > 0 || (values.output !== undefined && values.output !== "env")) throw new Error(usage);
  const workdir = values.workdir;
  const dataDir = values["data-dir"];
  const started = performance.now();
  const took = () => `${Math.round(performance.now() - started)} ms`;
  switch (command) {
    case "start":
    case "reset": {
      const postgres = await startLocalSupabase({ workdir, dataDir, services: "postgres", reset: command === "reset" });
      // So `status` can print the keys before the API has ever run.
      await loadOrCreateKeys(postgres.dataDir);
      const { migrations, seeded, bootstrapped } = postgres.prepared;
      const port = new URL(postgres.dbUrl).port;
      console.log(
        [
          `Postgres ${postgres.startedPostgres ? "started" : "already running"} on 127.0.0.1:${port} (${took()})`,
          bootstrapped ? "  bootstrap applied" : undefined,
          migrations.length ? `  migrations applied: ${migrations.join(", ")}` : "  migrations: up to date",
          seeded ? "  seed.sql applied" : undefined,
          `  ${postgres.dbUrl.replace(/:[^:@/]+@/, ":***@")}`,
        ]
          .filter(Boolean)
          .join("\n"),
      );
      return;
    }
    case "stop": {
      await project(workdir, dataDir).cluster.stop();
      console.log(`Postgres stopped (${took()})`);
      return;
    }
    case "status":
      await status(workdir, dataDir, values.output === "env");
      return;
    default:
      throw new Error(usage);
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
