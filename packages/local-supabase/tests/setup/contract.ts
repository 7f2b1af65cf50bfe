import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { startLocalSupabase } from "../../src/index.ts";

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
 * are set (e.g. `supabase start`), otherwise an ephemeral local Supabase of the project in the
 * working directory (its supabase/ folder), stopped again at teardown.
 */
export default async function setup(project: TestProject) {
  if (external.url && external.publishableKey && external.secretKey && external.mailboxUrl) {
    project.provide("contractUrl", external.url.replace(/\/+$/, ""));
    project.provide("contractPublishableKey", external.publishableKey);
    project.provide("contractSecretKey", external.secretKey);
    project.provide("contractMailboxUrl", external.mailboxUrl.replace(/\/+$/, ""));
    project.provide("contractDatabaseUrl", process.env.SUPABASE_CONTRACT_DB_URL ?? "");
    project.provide("contractEmbedded", false);
    if (process.env.SUPABASE_CONTRACT_DB_URL) await publishForPostgresChanges(process.env.SUPABASE_CONTRACT_DB_URL);
    return;
  }

  const stack = await startLocalSupabase({ ephemeral: true, database: "contract" });
  await publishForPostgresChanges(stack.dbUrl);
  project.provide("contractUrl", stack.apiUrl);
  project.provide("contractPublishableKey", stack.publishableKey);
  project.provide("contractSecretKey", stack.secretKey);
  project.provide("contractMailboxUrl", stack.mailboxUrl);
  project.provide("contractDatabaseUrl", stack.dbUrl);
  project.provide("contractEmbedded", true);
  return stack.stop;
}

/**
 * The Postgres Changes contract tests follow the project's `public.messages` (a table with RLS and
 * rows only two users may read, which is what per-subscriber authorization needs). The app itself
 * no longer publishes it (its ADR 0040), so the suite adds it to `supabase_realtime`, with the old
 * rows Postgres Changes sends for UPDATE, on the database it runs against.
 */
async function publishForPostgresChanges(databaseUrl: string): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => undefined });
  try {
    await sql.begin(async (tx) => {
      await tx`alter table public.messages replica identity full`;
      const [published] = await tx`select 1 from pg_publication_tables
        where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'messages'`;
      if (!published) await tx`alter publication supabase_realtime add table public.messages`;
    });
  } finally {
    await sql.end();
  }
}
