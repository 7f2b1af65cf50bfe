import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { paths } from "../../supabase/embedded/config.ts";
import { Cluster } from "../../supabase/embedded/postgres/cluster.ts";
import { prepareDatabase } from "../../supabase/embedded/postgres/migrate.ts";
import { freePort } from "./free-port.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser URL of the run's throw-away cluster (database `postgres`). */
    postgresUrl: string;
    /** Database holding bootstrap + migrations + seed, cloned once per test file. */
    templateDatabase: string;
  }
}

export const TEMPLATE_DATABASE = "app_template";

export function databaseUrl(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export interface TestCluster {
  /** Superuser URL of database `postgres`. */
  url: string;
  stop(): Promise<void>;
  /** Stops the server and keeps its data (fault tests): every connection to it is cut. */
  pause(): Promise<void>;
  /** Starts it again after pause(), on the same port. */
  resume(): Promise<void>;
}

/**
 * One real PostgreSQL for the whole run, on a free port in a temporary folder, so a developer's
 * own cluster (npm run db:start) is never touched. It holds a template database with bootstrap,
 * migrations and seed applied, which test files clone.
 */
export async function startTestCluster(): Promise<TestCluster> {
  const root = await mkdtemp(join(tmpdir(), "sss-test-pg-"));
  await chmod(root, 0o755);
  const cluster = new Cluster({
    dataDir: join(root, "pgdata"),
    port: await freePort(),
    superuserPassword: "postgres",
    disposable: true,
  });
  const stop = async () => {
    await cluster.stop("immediate");
    await rm(root, { recursive: true, force: true });
  };
  try {
    await cluster.initialise();
    await cluster.start();
    const admin = postgres(cluster.url, { max: 1, onnotice: () => undefined });
    try {
      await admin.unsafe(`create database ${TEMPLATE_DATABASE}`);
      await prepareDatabase(databaseUrl(cluster.url, TEMPLATE_DATABASE), {
        migrationsDir: paths.migrationsDir,
        seedFile: paths.seedFile,
        // Always without automatic grants, whatever config.toml says: every suite then proves the
        // migrations' explicit grants are enough, as on a project created today.
        autoExposeNewTables: false,
      });
      await admin.unsafe(`alter database ${TEMPLATE_DATABASE} with is_template true allow_connections false`);
    } finally {
      await admin.end();
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: cluster.url, stop, pause: () => cluster.stop("fast"), resume: () => cluster.start() };
}

export default async function setup(project: TestProject) {
  const cluster = await startTestCluster();
  project.provide("postgresUrl", cluster.url);
  project.provide("templateDatabase", TEMPLATE_DATABASE);
  return cluster.stop;
}
