import { eq, inArray, type SQL, sql } from "drizzle-orm";
import {
  CATCH_UP_MAX_MESSAGES,
  CONVERSATION_PAGE_SIZE,
  FEED_PAGE_SIZE,
  type FeedCursor,
  type FeedMessage,
} from "~/lib/domain/messages";
import type { RlsTransaction } from "~/server/db/client";
import { profiles } from "~/server/db/schema";

/**
 * Timestamps as fixed-width UTC ISO strings with microseconds: the keyset cursor must round-trip
 * Postgres' precision exactly (a JS Date keeps milliseconds, and paging would skip or repeat
 * messages created within the same millisecond), and the strings sort like the timestamps.
 */
const isoMicros = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * The select list and joins of every feed query as one fixed SQL text, columns named as
 * FeedMessage names them, so rows come back from postgres.js ready to send: composing and mapping
 * the same select with the query builder on every request was a large share of the feed page's
 * CPU (bench/README.md, T5). Table and column names are schema.ts's.
 */
const SELECT_MESSAGES = sql.raw(`select m.id, m.author_id as "authorId", a.username as "authorName",
         m.recipient_id as "recipientId", r.username as "recipientName", m.is_announcement as "isAnnouncement",
         m.body, ${isoMicros("m.created_at")} as "createdAt", ${isoMicros("m.edited_at")} as "editedAt",
         ${isoMicros("m.deleted_at")} as "deletedAt"
    from public.messages m
    join public.profiles a on a.id = m.author_id
    left join public.profiles r on r.id = m.recipient_id`);

const NEWEST_FIRST = sql.raw("order by m.created_at desc, m.id desc");

async function selectMessages(tx: RlsTransaction, where: SQL, limit: number): Promise<FeedMessage[]> {
  const rows = await tx.execute<FeedMessage & Record<string, unknown>>(
    sql`${SELECT_MESSAGES} where ${where} ${NEWEST_FIRST} limit ${limit}`,
  );
  // A plain array: postgres.js' result is an Array subclass carrying the statement.
  return Array.from(rows);
}

/** Strictly older than the cursor in (created_at, id) order: a row comparison uses the index. */
function olderThan(cursor: FeedCursor) {
  return sql`(m.created_at, m.id) < (${cursor.createdAt}::timestamptz, ${cursor.id}::uuid)`;
}

function newerThan(cursor: FeedCursor) {
  return sql`(m.created_at, m.id) > (${cursor.createdAt}::timestamptz, ${cursor.id}::uuid)`;
}

export interface FeedPage {
  messages: FeedMessage[];
  /** Cursor for the next "older" page, or null at the beginning of the feed. */
  older: FeedCursor | null;
}

/** One page of the public feed (no direct messages), newest first. */
export async function publicFeedPage(tx: RlsTransaction, before: FeedCursor | null): Promise<FeedPage> {
  const rows = await selectMessages(
    tx,
    before ? sql`m.recipient_id is null and ${olderThan(before)}` : sql`m.recipient_id is null`,
    FEED_PAGE_SIZE + 1,
  );
  const page = rows.slice(0, FEED_PAGE_SIZE);
  const last = page.at(-1);
  return {
    messages: page,
    older: rows.length > FEED_PAGE_SIZE && last ? { createdAt: last.createdAt, id: last.id } : null,
  };
}

/**
 * What a client missed while it was not subscribed: messages after its newest cursor, plus
 * messages created, edited or deleted since `changedSince`. Policies decide what is visible.
 */
export async function changesSince(
  tx: RlsTransaction,
  cursor: FeedCursor | null,
  changedSince: string | null,
): Promise<{ messages: FeedMessage[]; syncedAt: string }> {
  // created_at is the sending transaction's START time, so a message can commit after a newer
  // one the client already shows, or after this snapshot was taken. The next catch-up therefore
  // also takes every message created since 30 s before this one started (merging twice is
  // harmless: by id); a send that stays uncommitted longer than that would still be missed.
  const [clock] = await tx.execute<{ synced_at: string }>(
    sql`select to_char((now() - interval '30 seconds') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as synced_at`,
  );
  const syncedAt = clock?.synced_at ?? new Date(0).toISOString();
  const conditions = [
    cursor ? newerThan(cursor) : undefined,
    changedSince ? sql`m.created_at > ${changedSince}::timestamptz` : undefined,
    changedSince ? sql`m.edited_at > ${changedSince}::timestamptz` : undefined,
    changedSince ? sql`m.deleted_at > ${changedSince}::timestamptz` : undefined,
  ].filter((condition) => condition !== undefined);
  if (conditions.length === 0) return { messages: [], syncedAt };
  const rows = await selectMessages(tx, sql`(${sql.join(conditions, sql` or `)})`, CATCH_UP_MAX_MESSAGES);
  return { messages: rows, syncedAt };
}

/** The direct messages between the signed-in user and `otherId`, newest first. */
export async function conversation(tx: RlsTransaction, me: string, otherId: string): Promise<FeedMessage[]> {
  return selectMessages(
    tx,
    sql`((m.author_id = ${me} and m.recipient_id = ${otherId}) or (m.author_id = ${otherId} and m.recipient_id = ${me}))`,
    CONVERSATION_PAGE_SIZE,
  );
}

/** `{ id: username }` for the given profile ids that the signed-in user can see. */
export async function usernames(tx: RlsTransaction, ids: string[]): Promise<Record<string, string>> {
  if (ids.length === 0) return {};
  const rows = await tx.select({ id: profiles.id, username: profiles.username }).from(profiles).where(inArray(profiles.id, ids));
  return Object.fromEntries(rows.map((row) => [row.id, row.username]));
}

/** The conversation with the user named `username`, or null when there is no such user. */
export async function conversationWith(tx: RlsTransaction, me: string, username: string) {
  const [other] = await tx
    .select({ id: profiles.id, username: profiles.username })
    .from(profiles)
    .where(eq(profiles.username, username.toLowerCase()));
  if (!other) return null;
  return { other, messages: await conversation(tx, me, other.id) };
}
