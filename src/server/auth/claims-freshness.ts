import { sql } from "drizzle-orm";
import type { RlsRunner } from "~/server/db/client";

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
