import { rm } from "node:fs/promises";
import postgres from "postgres";
import { LOCAL_SUPERUSER_PASSWORD, type ProjectPaths, type SupabaseConfig } from "../config.ts";
import { Cluster } from "./cluster.ts";
import { type PrepareResult, prepareDatabase } from "./migrate.ts";

export interface PostgresService {
  cluster: Cluster;
  /** Superuser URL of the served database. */
  url: string;
  /** False when the server was already running (e.g. `npm run db:start` earlier). */
  startedHere: boolean;
  prepared: PrepareResult;
}

export interface PostgresServiceOptions {
  paths: ProjectPaths;
  config: SupabaseConfig;
  /** The cluster's folder. */
  pgdata: string;
  port: number;
  /** Trade crash safety for speed: for throw-away clusters only. */
  disposable?: boolean;
  /** Database to migrate and serve (default `postgres`); created, and then seeded, when missing. */
  database?: string;
  log?: (line: string) => void;
}

export function databaseUrl(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export function clusterFor(options: PostgresServiceOptions): Cluster {
  return new Cluster({
    dataDir: options.pgdata,
    port: options.port,
    superuserPassword: LOCAL_SUPERUSER_PASSWORD,
    disposable: options.disposable,
    log: options.log,
  });
}

/** True when the database had to be created, i.e. it wants the seed. */
async function createDatabase(serverUrl: string, database: string): Promise<boolean> {
  const sql = postgres(serverUrl, { max: 1, onnotice: () => undefined });
  try {
    const [row] = await sql<{ exists: boolean }[]>`
      select exists (select 1 from pg_database where datname = ${database}) as exists`;
    if (row?.exists) return false;
    await sql.unsafe(`create database "${database.replaceAll('"', '""')}"`);
    return true;
  } finally {
    await sql.end();
  }
}

/** Starts (initialising on first use) and migrates the cluster; seeds a new database. */
export async function startPostgres(options: PostgresServiceOptions): Promise<PostgresService> {
  const cluster = clusterFor(options);
  const database = options.database ?? "postgres";
  let fresh = !cluster.initialised;
  if (fresh) await cluster.initialise();
  const startedHere = !(await cluster.isRunning());
  if (startedHere) {
    try {
      await cluster.start();
    } catch (error) {
      const message = (error as Error).message;
      if (/could not bind|Address already in use/i.test(message)) {
        throw new Error(
          `Port ${cluster.options.port} is taken by another process (is \`supabase start\` running?). Stop it, or set the [db] port in supabase/config.toml.`,
        );
      }
      throw error;
    }
  }
  if (database !== "postgres") fresh = await createDatabase(cluster.url, database);
  const url = databaseUrl(cluster.url, database);
  const prepared = await prepareDatabase(url, {
    migrationsDir: options.paths.migrationsDir,
    seedFile: fresh ? options.paths.seedFile : undefined,
    autoExposeNewTables: options.config.api.auto_expose_new_tables,
  });
  return { cluster, url, startedHere, prepared };
}

export async function stopPostgres(options: PostgresServiceOptions): Promise<void> {
  await clusterFor(options).stop();
}

/** Wipes the cluster and builds it again from bootstrap, migrations and seed. */
export async function resetPostgres(options: PostgresServiceOptions): Promise<PostgresService> {
  const cluster = clusterFor(options);
  await cluster.stop();
  await rm(cluster.options.dataDir, { recursive: true, force: true });
  return startPostgres(options);
}
