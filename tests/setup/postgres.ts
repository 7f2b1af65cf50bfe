import { startLocalSupabase } from "@solidstart-supabase/local-supabase";
import postgres from "postgres";
import type { TestProject } from "vitest/node";

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
}

/**
 * One real PostgreSQL for the whole run, on a free port in a temporary folder, so a developer's
 * own cluster (npm run db:start) is never touched. It holds a template database with bootstrap,
 * migrations and seed applied, which test files clone.
 */
export async function startTestCluster(): Promise<TestCluster> {
  const cluster = await startLocalSupabase({
    ephemeral: true,
    services: "postgres",
    database: TEMPLATE_DATABASE,
    // Always without automatic grants, whatever config.toml says: every suite then proves the
    // migrations' explicit grants are enough, as on a project created today.
    configure: (config) => {
      config.api.auto_expose_new_tables = false;
    },
  });
  const url = databaseUrl(cluster.dbUrl, "postgres");
  try {
    const admin = postgres(url, { max: 1, onnotice: () => undefined });
    try {
      await admin.unsafe(`alter database ${TEMPLATE_DATABASE} with is_template true allow_connections false`);
    } finally {
      await admin.end();
    }
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return { url, stop: cluster.stop };
}

export default async function setup(project: TestProject) {
  const cluster = await startTestCluster();
  project.provide("postgresUrl", cluster.url);
  project.provide("templateDatabase", TEMPLATE_DATABASE);
  return cluster.stop;
}
