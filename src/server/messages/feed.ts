import { eq, inArray, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import {
  CATCH_UP_MAX_MESSAGES,
  CONVERSATION_PAGE_SIZE,
  FEED_PAGE_SIZE,
  type FeedCursor,
  type FeedMessage,
} from "~/lib/domain/messages";
import { toIsoMicros } from "~/lib/domain/timestamps";
import type { RlsTransaction } from "~/server/db/client";
import { fixed, fromAs, isoMicros, orNull, valueOf } from "~/server/db/fixed-sql";
import { messages, profiles } from "~/server/db/schema";

const m = alias(messages, "m");
const author = alias(profiles, "author");
const recipient = alias(profiles, "recipient");

/**
 * Where each field of a FeedMessage comes from. Typed by the tables: a column renamed, dropped or
 * made nullable in schema.ts, or a field added to FeedMessage, fails `tsc` here.
 */
const FEED_MESSAGE = {
  id: valueOf(m.id),
  authorId: valueOf(m.authorId),
  authorName: valueOf(author.username),
  recipientId: valueOf(m.recipientId),
  recipientName: orNull(valueOf(recipient.username)),
  isAnnouncement: valueOf(m.isAnnouncement),
  body: valueOf(m.body),
  createdAt: isoMicros(m.createdAt),
  editedAt: isoMicros(m.editedAt),
  deletedAt: isoMicros(m.deletedAt),
} satisfies { [K in keyof FeedMessage]-?: SQL<FeedMessage[K]> };

/**
 * The select list and joins of every feed query as one fixed SQL text, columns named as
 * FeedMessage names them, so rows come back from postgres.js ready to send: composing and mapping
 * the same select with the query builder on every request was a large share of the feed page's
 * CPU (bench/README.md, T5).
 */
const SELECT_MESSAGES = fixed(sql`select ${sql.join(
  Object.entries(FEED_MESSAGE).map(([field, value]) => sql`${value} as ${sql.identifier(field)}`),
  sql`, `,
)}
    from ${fromAs(messages, m)}
    join ${fromAs(profiles, author)} on ${author.id} = ${m.authorId}
    left join ${fromAs(profiles, recipient)} on ${recipient.id} = ${m.recipientId}`);

/** The feed's order, (created_at, id): the index messages_created_at_id_idx, read backwards. */
const KEY = fixed(sql`(${m.createdAt}, ${m.id})`);
const NEWEST_FIRST = fixed(sql`order by ${m.createdAt} desc, ${m.id} desc`);
const PUBLIC_ONLY = fixed(sql`${m.recipientId} is null`);
const COLUMN = {
  authorId: fixed(sql`${m.authorId}`),
  recipientId: fixed(sql`${m.recipientId}`),
  createdAt: fixed(sql`${m.createdAt}`),
  editedAt: fixed(sql`${m.editedAt}`),
  deletedAt: fixed(sql`${m.deletedAt}`),
};

/**
 * created_at is the sending transaction's START time, so a message can commit after a newer one
 * the client already shows, or after this snapshot was taken. The next catch-up therefore also
 * takes every message created since 30 s before this one started (merging twice is harmless: by
 * id); a send that stays uncommitted longer than that would still be missed.
 */
const SYNCED_AT = fixed(sql`select ${isoMicros(sql<Date>`now() - interval '30 seconds'`)} as synced_at`);

async function selectMessages(tx: RlsTransaction, where: SQL, limit: number): Promise<FeedMessage[]> {
  const rows = await tx.execute<FeedMessage & Record<string, unknown>>(
    sql`${SELECT_MESSAGES} where ${where} ${NEWEST_FIRST} limit ${limit}`,
  );
  // A plain array: postgres.js' result is an Array subclass carrying the statement.
  return Array.from(rows);
}

/** Strictly older than the cursor in (created_at, id) order: a row comparison uses the index. */
function olderThan(cursor: FeedCursor) {
  return sql`${KEY} < (${cursor.createdAt}::timestamptz, ${cursor.id}::uuid)`;
}

function newerThan(cursor: FeedCursor) {
  return sql`${KEY} > (${cursor.createdAt}::timestamptz, ${cursor.id}::uuid)`;
}

export interface FeedPage {
  messages: FeedMessage[];
  /** Cursor for the next "older" page, or null at the beginning of the feed. */
  older: FeedCursor | null;
}

/** One page of the public feed (no direct messages), newest first. */
export async function publicFeedPage(tx: RlsTransaction, before: FeedCursor | null): Promise<FeedPage> {
  const rows = await selectMessages(tx, before ? sql`${PUBLIC_ONLY} and ${olderThan(before)}` : PUBLIC_ONLY, FEED_PAGE_SIZE + 1);
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
  const [clock] = await tx.execute<{ synced_at: string }>(SYNCED_AT);
  const syncedAt = clock?.synced_at ?? toIsoMicros(new Date(0).toISOString());
  const conditions = [
    cursor ? newerThan(cursor) : undefined,
    changedSince ? sql`${COLUMN.createdAt} > ${changedSince}::timestamptz` : undefined,
    changedSince ? sql`${COLUMN.editedAt} > ${changedSince}::timestamptz` : undefined,
    changedSince ? sql`${COLUMN.deletedAt} > ${changedSince}::timestamptz` : undefined,
  ].filter((condition) => condition !== undefined);
  if (conditions.length === 0) return { messages: [], syncedAt };
  const rows = await selectMessages(tx, sql`(${sql.join(conditions, sql` or `)})`, CATCH_UP_MAX_MESSAGES);
  return { messages: rows, syncedAt };
}

/** The direct messages between the signed-in user and `otherId`, newest first. */
export async function conversation(tx: RlsTransaction, me: string, otherId: string): Promise<FeedMessage[]> {
  return selectMessages(
    tx,
    sql`((${COLUMN.authorId} = ${me} and ${COLUMN.recipientId} = ${otherId}) or (${COLUMN.authorId} = ${otherId} and ${COLUMN.recipientId} = ${me}))`,
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
