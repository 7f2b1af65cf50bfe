import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { type Backend, startBackend } from "../../supabase/embedded/backend.ts";
import { readConfig } from "../../supabase/embedded/config.ts";
import { freePort } from "./free-port.ts";
import { databaseUrl, startTestCluster, TEMPLATE_DATABASE, type TestCluster } from "./postgres.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the backend under test (`<url>/auth/v1` is the Auth API). */
    contractUrl: string;
    contractPublishableKey: string;
    contractSecretKey: string;
    /** Mailpit-compatible mailbox (Mailpit itself under `supabase start`). */
    contractMailboxUrl: string;
    /** Superuser URL of the backend's database, or "" when the run was not given one. */
    contractDatabaseUrl: string;
    /** True when the suite runs against the embedded backend started here. */
    contractEmbedded: boolean;
  }
}

const external = {
  url: process.env.SUPABASE_CONTRACT_URL,
  publishableKey: process.env.SUPABASE_CONTRACT_PUBLISHABLE_KEY,
  secretKey: process.env.SUPABASE_CONTRACT_SECRET_KEY,
  mailboxUrl: process.env.SUPABASE_CONTRACT_MAILBOX_URL,
};

/**
 * Provides a backend for tests/contract: the one named by SUPABASE_CONTRACT_* env when all four
 * are set (e.g. `supabase start`), otherwise an embedded one on free ports over a throw-away
 * cluster, stopped again at teardown.
 */
export default async function setup(project: TestProject) {
  if (external.url && external.publishableKey && external.secretKey && external.mailboxUrl) {
    project.provide("contractUrl", external.url.replace(/\/+$/, ""));
    project.provide("contractPublishableKey", external.publishableKey);
    project.provide("contractSecretKey", external.secretKey);
    project.provide("contractMailboxUrl", external.mailboxUrl.replace(/\/+$/, ""));
    project.provide("contractDatabaseUrl", process.env.SUPABASE_CONTRACT_DB_URL ?? "");
    project.provide("contractEmbedded", false);
    return;
  }

  let cluster: TestCluster | undefined;
  let backend: Backend | undefined;
  const stateDir = await mkdtemp(join(tmpdir(), "sss-contract-auth-"));
  const teardown = async () => {
    await backend?.stop();
    await cluster?.stop();
    await rm(stateDir, { recursive: true, force: true });
  };
  try {
    cluster = await startTestCluster();
    const admin = postgres(cluster.url, { max: 1, onnotice: () => undefined });
    try {
      await admin.unsafe(`create database contract template ${TEMPLATE_DATABASE}`);
    } finally {
      await admin.end();
    }
    const dbUrl = databaseUrl(cluster.url, "contract");
    backend = await startBackend({
      databaseUrl: dbUrl,
      apiPort: await freePort(),
      mailPort: await freePort(),
      config: readConfig(),
      stateDir,
    });
    project.provide("contractUrl", backend.apiUrl);
    project.provide("contractPublishableKey", backend.publishableKey);
    project.provide("contractSecretKey", backend.secretKey);
    project.provide("contractMailboxUrl", backend.mailUrl);
    project.provide("contractDatabaseUrl", dbUrl);
    project.provide("contractEmbedded", true);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
