import { serverEnv } from "~/server/env";
import { createDatabase, type Database, type DrizzleSupabaseClient, type VerifiedClaims } from "./client";

// Connection pools, not user data: one per server process, opened on first use. Per-request
// state (the claims) is bound by createDrizzleSupabaseClient and lives on event.locals.
let database: Database | undefined;

export function getDatabase(): Database {
  const env = serverEnv();
  database ??= createDatabase({ url: env.DATABASE_URL, adminUrl: env.ADMIN_DATABASE_URL, prepare: env.DATABASE_PREPARE });
  return database;
}

/** `{ admin, rls }` for one request. Pass the middleware's verified claims (null when signed out). */
export function createDrizzleSupabaseClient(claims: VerifiedClaims | null): DrizzleSupabaseClient {
  return getDatabase().forClaims(claims);
}
