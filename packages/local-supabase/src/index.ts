import { chmod, mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RateLimitMode } from "./auth/rate-limit.ts";
import { AUTH_PREFIX } from "./auth/server.ts";
import { startBackend } from "./backend.ts";
import { projectPaths, readConfig, type SupabaseConfig } from "./config.ts";
import { freePort } from "./free-port.ts";
import type { PrepareResult } from "./postgres/migrate.ts";
import {
  clusterFor,
  type PostgresService,
  type PostgresServiceOptions,
  resetPostgres,
  startPostgres,
} from "./postgres/service.ts";
import { REALTIME_PATH } from "./realtime/server.ts";

export type { RateLimitMode } from "./auth/rate-limit.ts";
export type { SupabaseConfig } from "./config.ts";
export type { PrepareResult } from "./postgres/migrate.ts";
export {
  findRunningStack,
  isAlive,
  type RunningStack,
  spawnServe,
  type StackLocation,
  stopStack,
  waitForStack,
} from "./stack.ts";

export interface LocalSupabaseConfig {
  /** The project folder holding `supabase/config.toml`, `migrations/` and `seed.sql` (default: the cwd). */
  workdir?: string;
  /** The state folder, relative to `workdir` (default `.cache/local-supabase`); ignored when ephemeral. */
  dataDir?: string;
  /**
   * A throw-away stack for tests and benchmarks: a cluster in a new temporary folder (fsync off),
   * every service on a free loopback port, all of it removed by `stop()`. Without it, the project's
   * own cluster in the state folder on config.toml's ports, left running by `stop()` when it was
   * already running (`local-supabase start`).
   */
  ephemeral?: boolean;
  /** The database the services use (default `postgres`); created, migrated and seeded when missing. */
  database?: string;
  /** `"postgres"`: only the database, migrated and seeded; no API and no mailbox. */
  services?: "all" | "postgres";
  /** Wipe the cluster first and build it again from bootstrap, migrations and seed. */
  reset?: boolean;
  /** Changes config.toml's settings for this run only (site URL, rate limits, ...). */
  configure?: (config: SupabaseConfig) => void;
  /**
   * `privateOnly`: refuse public Realtime channels, as Supabase's "Allow public access" switch
   * turned off does (a project setting, not a config.toml key).
   */
  realtime?: { privateOnly?: boolean };
  /**
   * `"local"` (default): Auth rate limits as `supabase start` applies them: none per IP, email_sent
   * at the CLI's raised figure, `max_frequency` per address. `"hosted"`: every [auth.rate_limit]
   * bucket per client IP, as on a hosted project.
   */
  rateLimits?: RateLimitMode;
  log?: (line: string) => void;
}

export interface LocalPostgres {
  /** Superuser URL of the served database (the Supabase CLI's `DB_URL`). */
  dbUrl: string;
  /** The state folder: the cluster and `auth-keys.json` (the signing key tests mint tokens with). */
  dataDir: string;
  /** False when Postgres was already running before this call. */
  startedPostgres: boolean;
  /** What this call applied to the database. */
  prepared: PrepareResult;
  stop(): Promise<void>;
  /**
   * Stops the Postgres server and keeps its data, cutting every connection (for fault tests: an
   * outage as clients see it); `resume()` starts it again on the same port.
   */
  pause(): Promise<void>;
  resume(): Promise<void>;
}

export interface LocalSupabase extends LocalPostgres {
  /** Project URL for supabase-js (the Supabase CLI's `API_URL`). */
  apiUrl: string;
  authUrl: string;
  realtimeUrl: string;
  /** Mailpit-compatible mailbox. */
  mailboxUrl: string;
  publishableKey: string;
  secretKey: string;
  /** The HTTP server behind `apiUrl`, for tests that count requests or cut sockets. */
  apiServer: Server;
}

async function throwAwayFolder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "local-supabase-"));
  // The postgres OS user (when run as root) must reach the cluster below it.
  await chmod(dir, 0o755);
  return dir;
}

/**
 * The one way to run the local Supabase: Postgres (initialised, migrated and seeded on first
 * use), then Auth and Realtime on the API port and the mailbox, on 127.0.0.1 only. Whatever it
 * started is stopped again when a later step fails.
 */
export async function startLocalSupabase(config: LocalSupabaseConfig & { services: "postgres" }): Promise<LocalPostgres>;
export async function startLocalSupabase(config?: LocalSupabaseConfig): Promise<LocalSupabase>;
export async function startLocalSupabase(config: LocalSupabaseConfig = {}): Promise<LocalPostgres | LocalSupabase> {
  const log = config.log ?? (() => undefined);
  const paths = projectPaths(config.workdir, config.dataDir);
  const settings = structuredClone(readConfig(paths.configToml));
  config.configure?.(settings);
  const ephemeral = config.ephemeral ?? false;
  const dataDir = ephemeral ? await throwAwayFolder() : paths.dataDir;
  const serviceOptions: PostgresServiceOptions = {
    paths,
    config: settings,
    pgdata: join(dataDir, "pgdata"),
    port: ephemeral ? await freePort() : settings.db.port,
    disposable: ephemeral,
    database: config.database,
    log,
  };
  let postgres: PostgresService | undefined;
  const stopPostgres = async () => {
    if (ephemeral) {
      await clusterFor(serviceOptions).stop("immediate");
      await rm(dataDir, { recursive: true, force: true });
    } else if (postgres?.startedHere) {
      await postgres.cluster.stop();
    }
  };
  try {
    postgres = config.reset && !ephemeral ? await resetPostgres(serviceOptions) : await startPostgres(serviceOptions);
    const { migrations, seeded } = postgres.prepared;
    if (migrations.length) log(`migrations applied: ${migrations.join(", ")}`);
    if (seeded) log("seed.sql applied");
    const database: LocalPostgres = {
      dbUrl: postgres.url,
      dataDir,
      startedPostgres: postgres.startedHere,
      prepared: postgres.prepared,
      stop: stopPostgres,
      pause: () => clusterFor(serviceOptions).stop("fast"),
      resume: () => clusterFor(serviceOptions).start(),
    };
    if (config.services === "postgres") return database;

    const backend = await startBackend({
      databaseUrl: postgres.url,
      apiPort: ephemeral ? await freePort() : settings.api.port,
      mailPort: ephemeral ? await freePort() : settings.inbucket.port,
      config: settings,
      stateDir: dataDir,
      realtime: config.realtime,
      rateLimits: config.rateLimits,
      log,
    });
    return {
      ...database,
      apiUrl: backend.apiUrl,
      authUrl: `${backend.apiUrl}${AUTH_PREFIX}`,
      realtimeUrl: `${backend.apiUrl.replace(/^http/, "ws")}${REALTIME_PATH}`,
      mailboxUrl: backend.mailUrl,
      publishableKey: backend.publishableKey,
      secretKey: backend.secretKey,
      apiServer: backend.server,
      stop: async () => {
        await backend.stop();
        await stopPostgres();
      },
    };
  } catch (error) {
    await stopPostgres();
    throw error;
  }
}
