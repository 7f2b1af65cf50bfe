/**
 * Private Realtime topics the messages trigger broadcasts to and the realtime.messages policies
 * authorize (ADR 0031). The SQL side spells them the same way: public.message_topic().
 */
export const FEED_TOPIC = "feed:public";

/** One spelling per conversation: the two user ids in text order. */
export function conversationTopic(a: string, b: string): string {
  const [first, second] = [a.toLowerCase(), b.toLowerCase()].sort();
  return `dm:${first}:${second}`;
}

/** Broadcast events: rows from the database trigger, and typing from the other participant. */
export const MESSAGE_EVENT = "message";
export const TYPING_EVENT = "typing";
