import { sql } from "drizzle-orm";
import { pgSchema, uuid } from "drizzle-orm/pg-core";
import { getDatabase } from "~/server/db/app-database";
import type { AdminDatabase } from "~/server/db/client";
import { sessionRevocationVersion } from "~/server/db/schema";
import type { VerifiedClaims } from "~/lib/domain/claims";
import { UUID_PATTERN } from "~/lib/domain/ids";
import { changeCounter } from "./change-counter";

const authSessions = pgSchema("auth").table("sessions", { id: uuid("id").primaryKey() });

/** Postgres refuses a malformed uuid with an error; a verified token never carries one, but no request may turn that into a 500. */

const prepared = new WeakMap<AdminDatabase, ReturnType<typeof prepareLookup>>();

function prepareLookup(admin: AdminDatabase) {
  // One array parameter, whatever the number of ids: the statement is prepared once per connection.
  return admin
    .select({ id: authSessions.id })
    .from(authSessions)
    .where(sql`${authSessions.id} = any(${sql.placeholder("ids")}::uuid[])`)
    .prepare("session_revocation_lookup");
}

/** Which of these session ids still have a row in auth.sessions. One query on the admin pool. */
export async function sessionsPresent(admin: AdminDatabase, ids: readonly string[]): Promise<Set<string>> {
  const wanted = ids.filter((id) => UUID_PATTERN.test(id));
  if (!wanted.length) return new Set();
  let lookup = prepared.get(admin);
  if (!lookup) {
    lookup = prepareLookup(admin);
    prepared.set(admin, lookup);
  }
  const rows = await lookup.execute({ ids: wanted });
  // Postgres answers in lower case; the token's claim is compared as the auth server wrote it.
  const present = new Set(rows.map((row) => row.id.toLowerCase()));
  return new Set(wanted.filter((id) => present.has(id.toLowerCase())));
}

const MAX_ENTRIES = 50_000;
/** Ids per lookup query: a burst of first-seen sessions is a few queries, never thousands of parameters. */
const MAX_BATCH = 500;

/** Moves whenever rows leave auth.sessions. */
const currentRevocationVersion = changeCounter(sessionRevocationVersion, "session_revocation_version");

// Process-wide, keyed by session id: it holds only the version at which that session was found
// present, nothing a request could show to another user. The version is read before the lookup,
// so a sign-out committed in between moves it again and is caught at the next read.
const alive = new Map<string, string>();
// Lookups in flight, by version and session id, so concurrent requests of one session share one.
// Never across versions: a lookup sent before a sign-out committed cannot answer for after it.
const pending = new Map<string, Promise<boolean>>();
let batch: { ids: string[]; result: Promise<Set<string>> } | undefined;

/**
 * Session ids asked for in the same turn of the event loop go into one query: after the version
 * moved, the requests of many signed-in users cost a handful of round trips, not one each.
 */
function lookUp(id: string): Promise<boolean> {
  if (!batch || batch.ids.length >= MAX_BATCH) {
    const ids: string[] = [];
    const result = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      if (batch?.ids === ids) batch = undefined;
      return sessionsPresent(getDatabase().admin, ids);
    });
    batch = { ids, result };
  }
  batch.ids.push(id);
  return batch.result.then((present) => present.has(id));
}

/**
 * True when the session the token belongs to no longer exists (signed out everywhere, by an
 * admin, or the user was deleted): the token still verifies, but the middleware must treat it as
 * revoked. Costs a map lookup while nobody's sessions were deleted; a session is looked up once
 * per instance when first seen and again once after each change. See ADR 0035.
 */
export async function tokenSessionRevoked(claims: VerifiedClaims): Promise<boolean> {
  const sessionId = claims.session_id;
  // Tokens without a session (none that GoTrue issues to users) have nothing to revoke here.
  if (typeof sessionId !== "string") return false;
  const current = await currentRevocationVersion();
  if (alive.get(sessionId) === current) return false;
  const flight = `${current}:${sessionId}`;
  let present = pending.get(flight);
  if (!present) {
    present = lookUp(sessionId).finally(() => pending.delete(flight));
    pending.set(flight, present);
  }
  if (!(await present)) {
    alive.delete(sessionId);
    return true;
  }
  // Insertion order is age order: drop the oldest entries, never scan the whole map.
  while (alive.size >= MAX_ENTRIES) alive.delete(alive.keys().next().value as string);
  alive.delete(sessionId);
  alive.set(sessionId, current);
  return false;
}
