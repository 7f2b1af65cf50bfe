import { toIsoMicros } from "./timestamps";

/*
 * public.messages is defined once, in src/server/db/schema.ts. The two shapes the browser sees are
 * written here, where client code may import them, and checked against that table: FeedMessage by
 * the typed select list in src/server/messages/feed.ts, MessageRecord by
 * tests/unit/message-row.test.ts (types) and tests/integration/db/live-row.test.ts (the trigger's
 * real payload, decoded by feedMessageOf, equals the feed query's row).
 */

/** A message as pages render it; timestamps are ISO_MICROS_PATTERN text, so they cross the RPC boundary as is. */
export interface FeedMessage {
  id: string;
  authorId: string;
  authorName: string;
  recipientId: string | null;
  recipientName: string | null;
  isAnnouncement: boolean;
  /** Empty for a deleted message (a tombstone). */
  body: string;
  createdAt: string;
  editedAt: string | null;
  deletedAt: string | null;
}

/**
 * A row of public.messages as the database broadcasts it (to_jsonb: column names, timestamps in
 * Postgres' JSON text in the writer's time zone).
 */
export interface MessageRecord {
  id: string;
  author_id: string;
  recipient_id: string | null;
  is_announcement: boolean;
  body: string;
  created_at: string;
  edited_at: string | null;
  deleted_at: string | null;
}

/** The FeedMessage a broadcast row stands for; the names come from elsewhere (the row has ids only). */
export function feedMessageOf(record: MessageRecord, authorName: string, recipientName: string | null): FeedMessage {
  return {
    id: record.id,
    authorId: record.author_id,
    authorName,
    recipientId: record.recipient_id,
    recipientName,
    isAnnouncement: record.is_announcement,
    body: record.body,
    createdAt: toIsoMicros(record.created_at),
    editedAt: record.edited_at ? toIsoMicros(record.edited_at) : null,
    deletedAt: record.deleted_at ? toIsoMicros(record.deleted_at) : null,
  };
}

/** The fields that are null for most messages: a public one has no recipient, few are edited or deleted. */
const MOSTLY_NULL = ["recipientId", "recipientName", "editedAt", "deletedAt"] as const;
type MostlyNull = (typeof MOSTLY_NULL)[number];

/**
 * A FeedMessage as the feed page's loader sends it, its mostly-null fields left out while null.
 * A loader's result is serialized into the page for hydration property by property: four fewer
 * per message is about a third less of that work and of those bytes (bench/README.md, T5).
 */
export type CompactMessage = Omit<FeedMessage, MostlyNull> & Partial<Pick<FeedMessage, MostlyNull>>;

export function compactMessage(message: FeedMessage): CompactMessage {
  const compact: CompactMessage = {
    id: message.id,
    authorId: message.authorId,
    authorName: message.authorName,
    isAnnouncement: message.isAnnouncement,
    body: message.body,
    createdAt: message.createdAt,
  };
  for (const key of MOSTLY_NULL) if (message[key] !== null) compact[key] = message[key];
  return compact;
}

export function expandMessage(message: CompactMessage): FeedMessage {
  return { recipientId: null, recipientName: null, editedAt: null, deletedAt: null, ...message };
}

/** Keyset position in the feed: messages are ordered by (created_at, id). */
export interface FeedCursor {
  createdAt: string;
  id: string;
}

/**
 * Longest message body, after trimming. The check constraint on messages.body (char_length, code
 * points) is generated from it; the form schema counts UTF-16 units, so it never lets through a
 * body the constraint refuses.
 */
export const MESSAGE_MAX_LENGTH = 2000;
/** The send box shows how many characters are left once fewer than this many remain. */
export const MESSAGE_COUNTDOWN_FROM = 200;

/** Messages per page of the public feed (and of the moderation queue). */
export const FEED_PAGE_SIZE = 50;
/** At most this many messages in one catch-up after a reconnect. */
export const CATCH_UP_MAX_MESSAGES = 500;
/** The newest direct messages of a conversation shown on its page. */
export const CONVERSATION_PAGE_SIZE = 200;
/** User ids one request may ask the usernames of. */
export const USERNAMES_PER_REQUEST = 100;

/**
 * Whether `incoming` should replace `current`, two copies of the same message that arrived in any
 * order (the rendered page, a Realtime change, a catch-up fetch): a tombstone or an edit is never
 * replaced by an older copy.
 */
export function supersedes(current: FeedMessage | undefined, incoming: FeedMessage): boolean {
  if (!current) return true;
  if (current.deletedAt && !incoming.deletedAt) return false;
  if (current.editedAt && incoming.editedAt && current.editedAt > incoming.editedAt) return false;
  if (current.editedAt && !incoming.editedAt && !incoming.deletedAt) return false;
  return true;
}

/** Newest-first order, ties broken by id, exactly as the database orders the feed. */
export function compareNewestFirst(a: FeedMessage, b: FeedMessage): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Oldest-first order (a chat reads down to the newest), the exact reverse of compareNewestFirst. */
export function compareOldestFirst(a: FeedMessage, b: FeedMessage): number {
  return compareNewestFirst(b, a);
}

/**
 * Characters left in a message body, counted as the textarea's maxlength and the form schema
 * count them (UTF-16 units); leading and trailing spaces are trimmed by the server, not counted.
 */
export function charactersLeft(body: string): number {
  return MESSAGE_MAX_LENGTH - body.trim().length;
}

/** Up to two letters for an avatar: the first of each of the first two parts of a username. */
export function initials(username: string): string {
  const parts = username.split(/[_\d]+/).filter(Boolean);
  const letters = parts
    .slice(0, 2)
    .map((part) => part.slice(0, 1))
    .join("");
  return (letters || username.slice(0, 1) || "?").toUpperCase();
}
