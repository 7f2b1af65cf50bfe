import { rm } from "node:fs/promises";
import { join } from "node:path";
import { LOCAL_SUPERUSER_PASSWORD, paths, readConfig } from "../config.ts";
import { Cluster } from "./cluster.ts";
import { type PrepareResult, prepareDatabase } from "./migrate.ts";

export interface PostgresService {
  cluster: Cluster;
  /** Superuser URL of the `postgres` database. */
  url: string;
  /** False when the server was already running (e.g. `npm run db:start` earlier). */
  startedHere: boolean;
  prepared: PrepareResult;
}

export interface PostgresServiceOptions {
  dataDir?: string;
  port?: number;
  log?: (line: string) => void;
}

function clusterFor(options: PostgresServiceOptions): Cluster {
  return new Cluster({
    dataDir: options.dataDir ?? join(paths.dataDir, "pgdata"),
    port: options.port ?? readConfig().db.port,
    superuserPassword: LOCAL_SUPERUSER_PASSWORD,
    log: options.log,
  });
}

/** Starts (initialising on first use) and migrates the local cluster; seeds a new one. */
export async function startPostgres(options: PostgresServiceOptions = {}): Promise<PostgresService> {
  const cluster = clusterFor(options);
  const fresh = !cluster.initialised;
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
  const prepared = await prepareDatabase(cluster.url, {
    migrationsDir: paths.migrationsDir,
    seedFile: fresh ? paths.seedFile : undefined,
    autoExposeNewTables: readConfig().api.auto_expose_new_tables,
  });
  return { cluster, url: cluster.url, startedHere, prepared };
}

export async function stopPostgres(options: PostgresServiceOptions = {}): Promise<void> {
  await clusterFor(options).stop();
}

/** Wipes the cluster and builds it again from bootstrap, migrations and seed. */
export async function resetPostgres(options: PostgresServiceOptions = {}): Promise<PostgresService> {
  const cluster = clusterFor(options);
  await cluster.stop();
  await rm(cluster.options.dataDir, { recursive: true, force: true });
  return startPostgres(options);
}
