import { eq, sql } from "drizzle-orm";
import { jsonb, pgSchema, uuid } from "drizzle-orm/pg-core";
import { getDatabase } from "~/server/db/app-database";
import type { AdminDatabase } from "~/server/db/client";
import { appMetadataVersion } from "~/server/db/schema";
import { sameAppMetadata, type VerifiedClaims } from "~/lib/domain/claims";

const authUsers = pgSchema("auth").table("users", {
  id: uuid("id").primaryKey(),
  rawAppMetaData: jsonb("raw_app_meta_data"),
});

const prepared = new WeakMap<AdminDatabase, ReturnType<typeof prepareLookup>>();

function prepareLookup(admin: AdminDatabase) {
  return admin
    .select({ metadata: authUsers.rawAppMetaData })
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
  let lookup = prepared.get(admin);
  if (!lookup) {
    lookup = prepareLookup(admin);
    prepared.set(admin, lookup);
  }
  const [row] = await lookup.execute({ id: claims.sub });
  if (!row) return true;
  return !sameAppMetadata(row.metadata, claims.app_metadata);
}

/** How old the app_metadata version may be: a role change applies within this. */
const VERSION_MAX_AGE_MS = 1_000;
const MAX_ENTRIES = 10_000;

let version: { value: string; readAt: number } | undefined;
let reading: Promise<string> | undefined;

/**
 * public.app_metadata_version moves, in the changing transaction, whenever any user's
 * app_metadata changes (a trigger on auth.users). Read at most once per VERSION_MAX_AGE_MS per
 * process, whatever the traffic; the requests meanwhile share one read.
 */
async function currentAppMetadataVersion(): Promise<string> {
  if (version && Date.now() - version.readAt < VERSION_MAX_AGE_MS) return version.value;
  reading ??= readAppMetadataVersion().finally(() => {
    reading = undefined;
  });
  return reading;
}

async function readAppMetadataVersion(): Promise<string> {
  const startedAt = Date.now();
  const [row] = await getDatabase().admin.select({ version: appMetadataVersion.version }).from(appMetadataVersion);
  if (!row) throw new Error("public.app_metadata_version has no row (migrations not applied?)");
  version = { value: String(row.version), readAt: startedAt };
  return version.value;
}

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
