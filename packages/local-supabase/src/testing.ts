import { randomBytes } from "node:crypto";
import postgres, { type Sql } from "postgres";
import { type LocalSupabaseConfig, startLocalSupabase } from "./index.ts";
import { databaseUrl } from "./postgres/service.ts";

export { freePort } from "./free-port.ts";
export { databaseUrl };

/**
 * Helpers for a project's own test suites: one throw-away cluster per run holding a template
 * database (bootstrap, migrations and seed applied once), cloned per test file, so files run in
 * parallel on databases of their own without migrating again.
 */
export interface TemplateCluster {
  /** Superuser URL of the cluster's `postgres` database (where clones are created). */
  serverUrl: string;
  template: string;
  stop(): Promise<void>;
}

export interface TemplateClusterOptions {
  /** The project folder holding `supabase/` (default: the cwd). */
  workdir?: string;
  /** Changes config.toml's settings for this cluster only. */
  configure?: LocalSupabaseConfig["configure"];
}

export async function startTemplateCluster(template: string, options: TemplateClusterOptions = {}): Promise<TemplateCluster> {
  const cluster = await startLocalSupabase({
    ephemeral: true,
    services: "postgres",
    database: template,
    workdir: options.workdir,
    configure: options.configure,
  });
  const serverUrl = databaseUrl(cluster.dbUrl, "postgres");
  try {
    const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
    try {
      await admin.unsafe(`alter database ${template} with is_template true allow_connections false`);
    } finally {
      await admin.end();
    }
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return { serverUrl, template, stop: cluster.stop };
}

export interface ClonedDatabase {
  name: string;
  /** Superuser URL of the clone. */
  url: string;
  /** Superuser connection to it. */
  sql: Sql;
  drop(): Promise<void>;
}

/** A new database cloned from `template` on the server at `serverUrl`. */
export async function cloneDatabase(serverUrl: string, template: string): Promise<ClonedDatabase> {
  const name = `test_${randomBytes(6).toString("hex")}`;
  const server = postgres(serverUrl, { max: 1, onnotice: () => undefined });
  await server.unsafe(`create database ${name} template ${template}`);
  const url = databaseUrl(serverUrl, name);
  const sql = postgres(url, { max: 4, onnotice: () => undefined });
  return {
    name,
    url,
    sql,
    async drop() {
      await sql.end();
      await server.unsafe(`drop database if exists ${name} with (force)`);
      await server.end();
    },
  };
}

/**
 * A vitest global setup body: starts the template cluster and provides `postgresUrl` and
 * `templateDatabase` to the test files (see `useTestDatabase`).
 */
export async function provideTemplateCluster(
  project: { provide(key: "postgresUrl" | "templateDatabase", value: string): void },
  template: string,
  options: TemplateClusterOptions = {},
): Promise<() => Promise<void>> {
  const cluster = await startTemplateCluster(template, options);
  project.provide("postgresUrl", cluster.serverUrl);
  project.provide("templateDatabase", cluster.template);
  return cluster.stop;
}
