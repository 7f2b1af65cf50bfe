import type { Sql } from "postgres";
import { beforeAll } from "vitest";
import { createDatabase, type Database, type VerifiedClaims } from "../../../src/server/db/client.ts";
import { syncRlsClientPassword } from "../../../src/server/db/rls-client-login.ts";
import { withDatabaseUser } from "../../../scripts/local-env.ts";
import { type TestDatabase, useTestDatabase } from "local-supabase/testing/vitest";

/** Seed users (supabase/seed.sql). */
export const ALICE = "a11ce000-0000-4000-8000-000000000001"; // moderator
export const BOB = "b0b00000-0000-4000-8000-000000000002";
export const CAROL = "ca201000-0000-4000-8000-000000000003";
export const SEED_DM = "5eed0000-0000-4000-8000-000000000004"; // bob -> carol
export const SEED_ANNOUNCEMENT = "5eed0000-0000-4000-8000-000000000001"; // by alice
export const SEED_COUNTRIES = 7;

/** rls_client is cluster-wide; every test file sets the same password. */
export const RLS_CLIENT_PASSWORD = "rls-client-test-password";

export function rlsClientUrl(superuserUrl: string): string {
  return withDatabaseUser(superuserUrl, "rls_client", RLS_CLIENT_PASSWORD);
}

/** Claims shaped like the access tokens the auth server issues. */
export function claimsFor(
  sub: string,
  appMetadata: Record<string, unknown> = {},
  extra: Partial<VerifiedClaims> = {},
): VerifiedClaims {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub,
    role: "authenticated",
    aud: "authenticated",
    iat: now,
    exp: now + 3600,
    email: `${sub}@example.test`,
    app_metadata: { provider: "email", providers: ["email"], ...appMetadata },
    user_metadata: {},
    ...extra,
  };
}

export const moderatorClaims = (sub: string) => claimsFor(sub, { user_role: "moderator" });

export interface RlsTestContext {
  db: TestDatabase;
  /** The app's client: rls pool on rls_client, admin pool on the superuser. */
  database: Database;
  rlsUrl: string;
}

/** This file's own database plus the app's two-pool client on it. */
export function useRlsDatabase(options: { max?: number } = {}): RlsTestContext {
  const db = useTestDatabase();
  const context = { db } as RlsTestContext;
  beforeAll(async () => {
    await syncRlsClientPassword(db.sql, RLS_CLIENT_PASSWORD);
    context.rlsUrl = rlsClientUrl(db.url);
    context.database = createDatabase({ url: context.rlsUrl, adminUrl: db.url, max: options.max ?? 4 });
    return () => context.database.end();
  });
  return context;
}

export async function createUser(sql: Sql, fields: { id?: string; email: string; username?: string }) {
  const row = only(
    await sql<{ id: string }[]>`
    insert into auth.users (id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
    values (coalesce(${fields.id ?? null}::uuid, gen_random_uuid()), 'authenticated', 'authenticated', ${fields.email},
            '{"provider":"email","providers":["email"]}',
            ${sql.json(fields.username === undefined ? {} : { username: fields.username })}, now(), now())
    returning id`,
  );
  return row.id;
}

/** The single row of a result; fails the test when there is not exactly one. */
export function only<T>(rows: readonly T[]): T {
  const [row] = rows;
  if (rows.length !== 1 || row === undefined) throw new Error(`expected exactly one row, got ${rows.length}`);
  return row;
}

/** The Postgres error behind a rejection (Drizzle wraps it as `cause`). */
export async function pgFailure(promise: Promise<unknown>): Promise<{ code: string | undefined; message: string }> {
  try {
    await promise;
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause ?? error;
    return { code: (cause as { code?: string }).code, message: (cause as Error).message };
  }
  throw new Error("expected the query to fail");
}
