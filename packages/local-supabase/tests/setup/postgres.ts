import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { startLocalSupabase } from "../../src/index.ts";
import { databaseUrl } from "../../src/postgres/service.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser URL of the run's throw-away cluster (database `postgres`). */
    postgresUrl: string;
    /** Database holding bootstrap + migrations + seed, cloned once per test file. */
    templateDatabase: string;
  }
}

const TEMPLATE_DATABASE = "local_supabase_template";

/**
 * A throw-away cluster for the package's own integration tests, with the project's bootstrap,
 * migrations and seed in a template database that test files clone.
 */
export default async function setup(project: TestProject) {
  const cluster = await startLocalSupabase({
    ephemeral: true,
    services: "postgres",
    database: TEMPLATE_DATABASE,
    // As on a project created today, whatever config.toml says: the tests compare against it.
    configure: (config) => {
      config.api.auto_expose_new_tables = false;
    },
  });
  try {
    const serverUrl = databaseUrl(cluster.dbUrl, "postgres");
    const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
    try {
      await admin.unsafe(`alter database ${TEMPLATE_DATABASE} with is_template true allow_connections false`);
    } finally {
      await admin.end();
    }
    project.provide("postgresUrl", serverUrl);
    project.provide("templateDatabase", TEMPLATE_DATABASE);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster.stop;
}
