import { and, desc, eq, inArray, isNull, or, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import {
  CATCH_UP_MAX_MESSAGES,
  CONVERSATION_PAGE_SIZE,
  FEED_PAGE_SIZE,
  type FeedCursor,
  type FeedMessage,
} from "~/lib/domain/messages";
import type { RlsTransaction } from "~/server/db/client";
import { messages, profiles } from "~/server/db/schema";

const authors = alias(profiles, "authors");
const recipients = alias(profiles, "recipients");

/**
 * Timestamps as fixed-width UTC ISO strings with microseconds: the keyset cursor must round-trip
 * Postgres' precision exactly (a JS Date keeps milliseconds, and paging would skip or repeat
 * messages created within the same millisecond), and the strings sort like the timestamps.
 */
const isoMicros = (column: typeof messages.createdAt | typeof messages.editedAt | typeof messages.deletedAt) =>
  sql<string | null>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

function selectMessages(tx: RlsTransaction) {
  return tx
    .select({
      id: messages.id,
      authorId: messages.authorId,
      authorName: authors.username,
      recipientId: messages.recipientId,
      recipientName: recipients.username,
      isAnnouncement: messages.isAnnouncement,
      body: messages.body,
      createdAt: isoMicros(messages.createdAt),
      editedAt: isoMicros(messages.editedAt),
      deletedAt: isoMicros(messages.deletedAt),
    })
    .from(messages)
    .innerJoin(authors, eq(authors.id, messages.authorId))
    .leftJoin(recipients, eq(recipients.id, messages.recipientId));
}

type Row = Awaited<ReturnType<ReturnType<typeof selectMessages>["execute"]>>[number];

function toFeedMessage(row: Row): FeedMessage {
  return { ...row, recipientName: row.recipientName ?? null, createdAt: row.createdAt ?? "" };
}

/** Strictly older than the cursor in (created_at, id) order: a row comparison uses the index. */
function olderThan(cursor: FeedCursor) {
  return sql`(${messages.createdAt}, ${messages.id}) < (${cursor.createdAt}::timestamptz, ${cursor.id}::uuid)`;
}

function newerThan(cursor: FeedCursor) {
  return sql`(${messages.createdAt}, ${messages.id}) > (${cursor.createdAt}::timestamptz, ${cursor.id}::uuid)`;
}

export interface FeedPage {
  messages: FeedMessage[];
  /** Cursor for the next "older" page, or null at the beginning of the feed. */
  older: FeedCursor | null;
}

/** One page of the public feed (no direct messages), newest first. */
export async function publicFeedPage(tx: RlsTransaction, before: FeedCursor | null): Promise<FeedPage> {
  const rows = await selectMessages(tx)
    .where(and(isNull(messages.recipientId), before ? olderThan(before) : undefined))
    .orderBy(desc(messages.createdAt), desc(messages.id))
    .limit(FEED_PAGE_SIZE + 1);
  const page = rows.slice(0, FEED_PAGE_SIZE).map(toFeedMessage);
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
    changedSince ? sql`${messages.createdAt} > ${changedSince}::timestamptz` : undefined,
    changedSince ? sql`${messages.editedAt} > ${changedSince}::timestamptz` : undefined,
    changedSince ? sql`${messages.deletedAt} > ${changedSince}::timestamptz` : undefined,
  ].filter((condition) => condition !== undefined);
  if (conditions.length === 0) return { messages: [], syncedAt };
  const rows = await selectMessages(tx)
    .where(or(...conditions))
    .orderBy(desc(messages.createdAt), desc(messages.id))
    .limit(CATCH_UP_MAX_MESSAGES);
  return { messages: rows.map(toFeedMessage), syncedAt };
}

/** The direct messages between the signed-in user and `otherId`, newest first. */
export async function conversation(tx: RlsTransaction, me: string, otherId: string): Promise<FeedMessage[]> {
  const rows = await selectMessages(tx)
    .where(
      or(
        and(eq(messages.authorId, me), eq(messages.recipientId, otherId)),
        and(eq(messages.authorId, otherId), eq(messages.recipientId, me)),
      ),
    )
    .orderBy(desc(messages.createdAt), desc(messages.id))
    .limit(CONVERSATION_PAGE_SIZE);
  return rows.map(toFeedMessage);
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
