import { sql } from "drizzle-orm";
import { createDrizzleSupabaseClient } from "~/server/db/app-database";
import type { RlsRunner } from "~/server/db/client";
import type { AuthClaims } from "./access-token";

/**
 * Access tokens carry a copy of app_metadata from when they were issued, so a role granted or
 * revoked with `npm run role` would otherwise apply only at the next refresh (up to an hour).
 * True when the user's stored app_metadata differs from the token's: the middleware then
 * refreshes the session as it does for a nearly expired token, and the new token (built from the
 * database) carries the new role. One RLS transaction per signed-in request. See ADR 0014.
 *
 * `rls` must be bound to the claims being checked (`createDrizzleSupabaseClient(claims).rls`).
 */
export async function claimsAreStale(rls: RlsRunner): Promise<boolean> {
  const [row] = await rls((tx) => tx.execute<{ stale: boolean }>(sql`select public.claims_are_stale() as stale`));
  return row?.stale === true;
}

/** How long a "still fresh" answer is reused for one user: a role change applies within this. */
const FRESH_FOR_MS = 5_000;
const MAX_ENTRIES = 10_000;

// Process-wide, keyed by user id and the token's app_metadata: it holds only "checked at", never
// data a request could show to another user.
const checked = new Map<string, number>();

/**
 * claimsAreStale() for the middleware, at most once per FRESH_FOR_MS for the same user and
 * app_metadata, so a signed-in page view usually costs no database round trip for it.
 */
export async function tokenClaimsOutdated(claims: AuthClaims): Promise<boolean> {
  const key = `${claims.sub}:${JSON.stringify(claims.app_metadata ?? {})}`;
  const now = Date.now();
  const at = checked.get(key);
  if (at !== undefined && now - at < FRESH_FOR_MS) return false;
  const stale = await claimsAreStale(createDrizzleSupabaseClient(claims).rls);
  if (stale) {
    checked.delete(key);
    return true;
  }
  if (checked.size >= MAX_ENTRIES) {
    for (const [entry, time] of checked) if (now - time >= FRESH_FOR_MS) checked.delete(entry);
    if (checked.size >= MAX_ENTRIES) checked.clear();
  }
  checked.set(key, now);
  return false;
}
