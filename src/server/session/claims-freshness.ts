import { eq, sql } from "drizzle-orm";
import { jsonb, pgSchema, uuid } from "drizzle-orm/pg-core";
import { getDatabase } from "~/server/db/app-database";
import type { AdminDatabase } from "~/server/db/client";
import { appMetadataVersion } from "~/server/db/schema";
import { sameAppMetadata, type VerifiedClaims } from "~/lib/domain/claims";
import { changeCounter } from "./change-counter";

const authUsers = pgSchema("auth").table("users", {
  id: uuid("id").primaryKey(),
  rawAppMetaData: jsonb("raw_app_meta_data"),
});

const prepared = new WeakMap<AdminDatabase, ReturnType<typeof prepareLookup>>();

function lookupFor(admin: AdminDatabase): ReturnType<typeof prepareLookup> {
  let lookup = prepared.get(admin);
  if (!lookup) {
    lookup = prepareLookup(admin);
    prepared.set(admin, lookup);
  }
  return lookup;
}

function prepareLookup(admin: AdminDatabase) {
  return admin
    .select({
      metadata: authUsers.rawAppMetaData,
      // The two-factor check (secondFactorPending) rides on the same primary-key lookup.
      // The user id as a parameter: Drizzle names the outer column unqualified, which inside the
      // sub-select would be mfa_factors' own id.
      hasVerifiedFactor: sql<boolean>`exists (select 1 from auth.mfa_factors f where f.user_id = ${sql.placeholder("id")} and f.status = 'verified')`,
    })
    .from(authUsers)
    .where(eq(authUsers.id, sql.placeholder("id")))
    .prepare("claims_freshness_lookup");
}

/**
 * Access tokens carry a copy of app_metadata from when they were issued, so a role granted or
 * revoked with `npm run role` would otherwise apply only at the next refresh (up to an hour).
 * True when the user's stored app_metadata differs from the token's (or the user is gone): the
 * middleware then refreshes the session, and the new token (built from the database) carries the
 * new role. One prepared primary-key lookup on the admin pool. See ADR 0014.
 */
export async function claimsAreStale(
  admin: AdminDatabase,
  claims: Pick<VerifiedClaims, "sub" | "app_metadata">,
): Promise<boolean> {
  const [row] = await lookupFor(admin).execute({ id: claims.sub });
  if (!row) return true;
  return !sameAppMetadata(row.metadata, claims.app_metadata);
}

const MAX_ENTRIES = 10_000;

/** Moves whenever any user's app_metadata changes (a trigger on auth.users). */
const currentAppMetadataVersion = changeCounter(appMetadataVersion, "app_metadata_version");

// Process-wide, keyed by user id and the token's app_metadata: it holds only the version at which
// that pair was found current, never data a request could show to another user. The version is
// read before the lookup, so a change committed in between is caught at the next version read.
const checked = new Map<string, string>();

/**
 * claimsAreStale() for the middleware: once per user and app_metadata for as long as nobody's
 * app_metadata changes, so a signed-in page view usually costs no database round trip for it.
 * When the version moves, every user is checked again once.
 */
export async function tokenClaimsOutdated(claims: VerifiedClaims): Promise<boolean> {
  const key = `${claims.sub}:${JSON.stringify(claims.app_metadata ?? {})}`;
  const current = await currentAppMetadataVersion();
  if (checked.get(key) === current) return false;
  if (await claimsAreStale(getDatabase().admin, claims)) {
    checked.delete(key);
    return true;
  }
  // Insertion order is age order: drop the oldest entries, never scan the whole map.
  while (checked.size >= MAX_ENTRIES) checked.delete(checked.keys().next().value as string);
  checked.delete(key);
  checked.set(key, current);
  return false;
}

// Process-wide, keyed by session id: whether that aal1 session's user had a verified factor. A
// session's answer cannot turn from false to true while it lives: verifying a factor makes the
// verifying session aal2 and deletes the user's other aal1 sessions (ADR 0034). An aal2 token
// drops its session's entry, so a session back at aal1 (its factor removed) is looked up again.
const factorState = new Map<string, boolean>();

/**
 * True when the token is aal1 and its user has a verified factor: the session must pass the
 * code page before anything protected. One lookup per session and process (the claims-freshness
 * statement), none for aal2 tokens.
 */
export async function secondFactorPending(claims: VerifiedClaims): Promise<boolean> {
  const session = claims.session_id;
  if (claims.aal === "aal2") {
    if (session) factorState.delete(session);
    return false;
  }
  const known = session ? factorState.get(session) : undefined;
  if (known !== undefined) return known;
  const [row] = await lookupFor(getDatabase().admin).execute({ id: claims.sub });
  const pending = row?.hasVerifiedFactor ?? false;
  // Without a session id nothing ends with the session: such a token is looked up every time.
  if (session) {
    while (factorState.size >= MAX_ENTRIES) factorState.delete(factorState.keys().next().value as string);
    factorState.set(session, pending);
  }
  return pending;
}

/** After the auth server said this session's user has no verified factor (left, or removed). */
export function forgetSecondFactorState(claims: Pick<VerifiedClaims, "session_id">): void {
  if (claims.session_id) factorState.delete(claims.session_id);
}
