/*
 * Every private Realtime topic of the app, and where its events may come from (docs/threat-model.md,
 * ADR 0040). Realtime authorizes a channel (a topic and an extension), never an event name: whoever
 * may INSERT `broadcast` on a topic may send ANY event there, over the socket and the REST
 * endpoint. So the two kinds never share a topic:
 *
 * - database topics carry what triggers write (row changes, session and role changes). No API role
 *   has an INSERT policy on them; the trigger functions write as their owner. Only these events are
 *   applied as facts.
 * - signal topics carry what browsers send (presence, typing). Their events are hints, shown only
 *   for an identity the server vouched for (a signal ticket), and never change a row on the page.
 *
 * The policies in src/server/db/schema.ts are built from the prefixes below, and the SQL triggers
 * spell the database topics and events the same way (checked in the migrated database by
 * tests/integration/domain-rules.test.ts and tests/integration/db/realtime-policies.test.ts).
 */

declare const databaseTopic: unique symbol;
declare const signalTopic: unique symbol;

/** A topic only the database writes. */
export type DatabaseTopic = string & { readonly [databaseTopic]: true };
/** A topic browsers write: presence and typing, hints only. */
export type SignalTopic = string & { readonly [signalTopic]: true };

export const FEED_TOPIC = "feed:public" as DatabaseTopic;
export const CONVERSATION_TOPIC_PREFIX = "dm:";
export const USER_TOPIC_PREFIX = "user:";
export const SIGNAL_TOPIC_PREFIX = "signals:";

/** One spelling per conversation: the two user ids in text order. */
export function conversationTopic(a: string, b: string): DatabaseTopic {
  const [first, second] = [a.toLowerCase(), b.toLowerCase()].sort();
  return `${CONVERSATION_TOPIC_PREFIX}${first}:${second}` as DatabaseTopic;
}

/** A user's own topic: their sessions ending and their roles changing, written by auth triggers. */
export function userTopic(userId: string): DatabaseTopic {
  return `${USER_TOPIC_PREFIX}${userId.toLowerCase()}` as DatabaseTopic;
}

/** Where browsers on a feed or conversation page tell each other who is there and who types. */
export function signalTopicOf(topic: DatabaseTopic): SignalTopic {
  return `${SIGNAL_TOPIC_PREFIX}${topic}` as SignalTopic;
}

/** Events the triggers send on database topics. */
export const DATABASE_EVENTS = {
  /** realtime.broadcast_changes of public.messages: `{operation, record, old_record}`. */
  message: "message",
  /** Sessions of this user were deleted: `{session_ids}`. */
  sessionsEnded: "sessions_ended",
  /** This user's app_metadata (roles) changed, or the user was deleted. */
  claimsChanged: "claims_changed",
} as const;

/** Events browsers send on signal topics: `{ticket}` names the sender, as the server signed it. */
export const SIGNAL_EVENTS = {
  typing: "typing",
} as const;

/**
 * A signal ticket as the server signs it: `<expiry, seconds since the epoch>.<base64url HMAC-SHA256>`.
 * The server checks the signature; the page uses the shape to ignore what cannot be a ticket.
 */
export const SIGNAL_TICKET_PATTERN = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

/** A user a presence entry or a typing event names, and the ticket it carries for them. */
export interface SignalClaim {
  id: string;
  ticket: string;
}

export type DatabaseEvent = (typeof DATABASE_EVENTS)[keyof typeof DATABASE_EVENTS];
export type SignalEvent = (typeof SIGNAL_EVENTS)[keyof typeof SIGNAL_EVENTS];
