import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { syncRlsClientPassword } from "../../src/server/db/rls-client-login.ts";
import { withDatabaseUser } from "../../supabase/embedded/app-env.ts";
import { type Backend, startBackend } from "../../supabase/embedded/backend.ts";
import { readConfig, type SupabaseConfig } from "../../supabase/embedded/config.ts";
import { freePort } from "./free-port.ts";
import { databaseUrl, startTestCluster, TEMPLATE_DATABASE, type TestCluster } from "./postgres.ts";

export interface EmbeddedStack {
  cluster: TestCluster;
  backend: Backend;
  /** Superuser URL of the stack's database (what the app calls ADMIN_DATABASE_URL). */
  adminUrl: string;
  /** The rls_client URL of that database (what the app calls DATABASE_URL). */
  rlsUrl: string;
  /** The backend's state folder (auth-keys.json holds its signing key). */
  stateDir: string;
  stop(): Promise<void>;
}

/**
 * A throw-away cluster, a database cloned from the migrated + seeded template, and an embedded
 * backend (auth, Realtime, mailbox) on free loopback ports over it: what the contract suite, the
 * built-app tests and the benchmarks all run against. Stops whatever it started if it fails.
 */
const RLS_CLIENT_PASSWORD = "rls-client-test-password";

export async function startEmbeddedStack(options: { database: string; config?: SupabaseConfig }): Promise<EmbeddedStack> {
  const stateDir = await mkdtemp(join(tmpdir(), `sss-${options.database}-auth-`));
  let cluster: TestCluster | undefined;
  let backend: Backend | undefined;
  const stop = async () => {
    await backend?.stop();
    await cluster?.stop();
    await rm(stateDir, { recursive: true, force: true });
  };
  try {
    cluster = await startTestCluster();
    const admin = postgres(cluster.url, { max: 1, onnotice: () => undefined });
    try {
      await admin.unsafe(`create database ${options.database} template ${TEMPLATE_DATABASE}`);
      await syncRlsClientPassword(admin, RLS_CLIENT_PASSWORD);
    } finally {
      await admin.end();
    }
    const adminUrl = databaseUrl(cluster.url, options.database);
    backend = await startBackend({
      databaseUrl: adminUrl,
      apiPort: await freePort(),
      mailPort: await freePort(),
      config: options.config ?? readConfig(),
      stateDir,
    });
    const rlsUrl = withDatabaseUser(adminUrl, "rls_client", RLS_CLIENT_PASSWORD);
    return { cluster, backend, adminUrl, rlsUrl, stateDir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
