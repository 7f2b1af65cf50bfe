import type { TestProject } from "vitest/node";
import { startLocalSupabase } from "../../src/index.ts";
import { FIXTURE_WORKDIR } from "../fixture.ts";

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
 * are set (e.g. `supabase start` of tests/fixture, whose migrations and seed the suite needs),
 * otherwise an ephemeral local Supabase of that fixture project, stopped again at teardown.
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

  const stack = await startLocalSupabase({ ephemeral: true, database: "contract", workdir: FIXTURE_WORKDIR });
  project.provide("contractUrl", stack.apiUrl);
  project.provide("contractPublishableKey", stack.publishableKey);
  project.provide("contractSecretKey", stack.secretKey);
  project.provide("contractMailboxUrl", stack.mailboxUrl);
  project.provide("contractDatabaseUrl", stack.dbUrl);
  project.provide("contractEmbedded", true);
  return stack.stop;
}
