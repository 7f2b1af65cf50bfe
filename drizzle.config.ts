import { defineConfig } from "drizzle-kit";

// Generation and `drizzle-kit check` work from the schema file alone: no database URL here, so
// neither command can touch a running database.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/server/db/schema.ts",
  // The Supabase CLI folder, with its `<timestamp>_<name>.sql` naming, so `supabase db reset`,
  // `supabase db push` and the embedded backend all apply the same files.
  out: "./supabase/migrations",
  migrations: { prefix: "supabase" },
  schemaFilter: ["public"],
  // anon, authenticated, service_role, ... belong to Supabase; rls_client is created by a
  // hand-written migration because it needs `if not exists` and role grants.
  entities: { roles: { provider: "supabase", exclude: ["rls_client"] } },
  strict: true,
  verbose: true,
});
