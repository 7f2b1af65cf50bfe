import { batch, createMemo, createSignal, onCleanup, onMount } from "solid-js";
import { createStore, produce } from "solid-js/store";
import {
  compareNewestFirst,
  type FeedCursor,
  type FeedMessage,
  supersedes,
  toIsoMicros,
  USERNAMES_PER_REQUEST,
} from "~/lib/domain/messages";
import { getChangesSince, getRealtimeAccess, getUsernames } from "./messages.api";

/** What the page shows about the live connection. */
export type ConnectionState = "connecting" | "live" | "reconnecting" | "offline";

/** A row of public.messages as the trigger broadcasts it (to_jsonb: snake_case, ISO timestamps). */
export interface MessageRow {
  id: string;
  author_id: string;
  recipient_id: string | null;
  is_announcement: boolean;
  body: string;
  created_at: string;
  edited_at: string | null;
  deleted_at: string | null;
}

/** The payload realtime.broadcast_changes sends: the new row, or for a DELETE the old one. */
export interface MessageChange {
  operation: "INSERT" | "UPDATE" | "DELETE";
  record: MessageRow | null;
  old_record: MessageRow | null;
}

/** What a page shares on its topic besides the messages. */
export interface LiveFeedSharing {
  /** The signed-in user: the presence key and the sender of typing events. */
  me: () => string | undefined;
  /** Track this tab in the topic's presence (the public feed: who is online). */
  presence?: boolean;
  /** Send and show typing (a conversation): Broadcast between the two, never stored. */
  typing?: boolean;
}

/** At most one typing event per this long while the user types. */
const TYPING_SEND_EVERY_MS = 2_000;
/** The other's "is typing…" goes away this long after their last typing event. */
const TYPING_SHOWN_MS = 4_000;

const offline = () => typeof navigator !== "undefined" && navigator.onLine === false;

/** Which messages a view shows: the public feed, or one conversation. */
export type FeedScope = (message: FeedMessage) => boolean;

/**
 * The messages a page shows, kept current: the server-rendered page, then the changes the database
 * broadcasts to the page's private topic, applied by id (an optimistic copy, its echo and a
 * catch-up fetch all land on the same key, so nothing is shown twice), then after every
 * (re)subscription whatever changed since the newest cursor: Broadcast keeps nothing for a
 * socket that was away.
 */
export function createLiveFeed(
  initial: () => FeedMessage[] | undefined,
  scope: FeedScope,
  topic: () => string | undefined,
  sharing?: LiveFeedSharing,
) {
  const [byId, setById] = createStore<Record<string, FeedMessage>>({});
  const [onlineIds, setOnlineIds] = createSignal<string[]>([]);
  const [typingId, setTypingId] = createSignal<string | null>(null);
  let typingTimer: ReturnType<typeof setTimeout> | undefined;
  let sendTyping: (() => void) | undefined;
  let lastTypingSent = 0;
  const [names, setNames] = createStore<Record<string, string>>({});
  const [state, setState] = createSignal<ConnectionState>("connecting");
  let syncedAt: string | null = null;

  function merge(messages: FeedMessage[]) {
    batch(() => {
      setById(
        produce((all) => {
          for (const message of messages) if (supersedes(all[message.id], message)) all[message.id] = message;
        }),
      );
      for (const message of messages) {
        setNames(message.authorId, message.authorName);
        if (message.recipientId && message.recipientName) setNames(message.recipientId, message.recipientName);
      }
    });
  }

  // The server-rendered page plus whatever arrived live; derived (not copied in an effect) so the
  // server renders the same list the browser hydrates.
  const all = createMemo(() => {
    const merged = new Map<string, FeedMessage>();
    for (const message of initial() ?? []) merged.set(message.id, message);
    for (const message of Object.values(byId)) if (supersedes(merged.get(message.id), message)) merged.set(message.id, message);
    return merged;
  });

  const visible = createMemo(() =>
    [...all().values()].filter((message) => !message.deletedAt && scope(message)).sort(compareNewestFirst),
  );

  function newestCursor(): FeedCursor | null {
    let newest: FeedMessage | undefined;
    for (const message of all().values()) {
      if (!newest || compareNewestFirst(message, newest) < 0) newest = message;
    }
    return newest ? { createdAt: newest.createdAt, id: newest.id } : null;
  }

  function knownName(id: string): string | undefined {
    if (names[id]) return names[id];
    for (const message of initial() ?? []) {
      if (message.authorId === id) return message.authorName;
      if (message.recipientId === id && message.recipientName) return message.recipientName;
    }
    return undefined;
  }

  async function catchUp() {
    const result = await getChangesSince(newestCursor(), syncedAt);
    syncedAt = result.syncedAt;
    merge(result.messages);
  }

  /** Names of users present on the topic, asked for in as few requests as the server allows. */
  async function learnNames(ids: string[]) {
    const unknown = ids.filter((id) => !knownName(id));
    for (let i = 0; i < unknown.length; i += USERNAMES_PER_REQUEST)
      setNames(await getUsernames(unknown.slice(i, i + USERNAMES_PER_REQUEST)));
  }

  async function nameOf(id: string | null): Promise<string | null> {
    if (!id) return null;
    const known = knownName(id);
    if (known) return known;
    setNames(await getUsernames([id]));
    return names[id] ?? "…";
  }

  async function apply(change: MessageChange) {
    if (change.operation === "DELETE") {
      const known = change.old_record && all().get(change.old_record.id);
      // A hard delete (an admin cleaning up) hides the message like a tombstone would.
      if (known) merge([{ ...known, body: "", deletedAt: known.deletedAt ?? toIsoMicros(new Date().toISOString()) }]);
      return;
    }
    const row = change.record;
    if (!row?.id || !row.author_id || !row.created_at) return;
    if (change.operation === "INSERT" && row.author_id === typingId()) setTypingId(null);
    const [authorName, recipientName] = await Promise.all([nameOf(row.author_id), nameOf(row.recipient_id)]);
    merge([
      {
        id: row.id,
        authorId: row.author_id,
        authorName: authorName ?? "…",
        recipientId: row.recipient_id,
        recipientName,
        isAnnouncement: row.is_announcement,
        body: row.body,
        createdAt: toIsoMicros(row.created_at),
        editedAt: row.edited_at ? toIsoMicros(row.edited_at) : null,
        deletedAt: row.deleted_at ? toIsoMicros(row.deleted_at) : null,
      },
    ]);
  }

  // Changes are applied one after another in arrival (commit) order, even when one of them has
  // to wait for a username.
  let applying = Promise.resolve();

  onMount(() => {
    const name = topic();
    if (!name) return;
    let unmounted = false;
    let subscribed = false;
    let leave = () => {};
    const catchUpOrRetry = () => void catchUp().catch(() => setState("reconnecting"));
    // realtime-js reconnects and rejoins by itself; these only keep the badge honest and catch up
    // after a sleep, when the socket may look open although events were missed.
    const onOffline = () => setState("offline");
    const onVisible = () => {
      if (document.visibilityState === "visible" && subscribed) catchUpOrRetry();
    };
    window.addEventListener("offline", onOffline);
    document.addEventListener("visibilitychange", onVisible);
    onCleanup(() => {
      unmounted = true;
      window.removeEventListener("offline", onOffline);
      document.removeEventListener("visibilitychange", onVisible);
      leave();
    });
    void import("./live-channel")
      .then(({ joinLiveChannel }) => {
        if (unmounted) return;
        const me = sharing?.me();
        const channel = joinLiveChannel({
          topic: name,
          me,
          presence: !!sharing?.presence && !!me,
          typing: !!sharing?.typing && !!me,
          getAccess: () => getRealtimeAccess(),
          onChange: (change) => {
            applying = applying.then(() => apply(change)).catch(() => undefined);
          },
          onStatus: (status) => {
            subscribed = status === "SUBSCRIBED";
            if (subscribed) {
              setState("live");
              catchUpOrRetry();
            } else if (!unmounted) {
              // CLOSED: the server ended the channel (the token expired or was revoked): a signed-out
              // session stops receiving here and the page says so.
              setState(status === "CLOSED" || offline() ? "offline" : "reconnecting");
            }
          },
          onPresence: (ids) => {
            setOnlineIds(ids);
            void learnNames(ids).catch(() => undefined);
          },
          onTyping: (from) => {
            setTypingId(from);
            clearTimeout(typingTimer);
            typingTimer = setTimeout(() => setTypingId(null), TYPING_SHOWN_MS);
          },
        });
        sendTyping = channel.sendTyping;
        leave = () => {
          sendTyping = undefined;
          clearTimeout(typingTimer);
          channel.leave();
        };
      })
      .catch(() => {
        if (!unmounted) setState(offline() ? "offline" : "reconnecting");
      });
  });

  /** Who has the page's topic open now, each once, by name (while a name is unknown, "…"). */
  const online = createMemo(() => onlineIds().map((id) => ({ id, name: names[id] ?? knownName(id) ?? "…" })));
  /** The user typing on the page's topic (a conversation: the other participant), if any. */
  const typing = typingId;

  /** Call on every keystroke: sends a typing event at most every TYPING_SEND_EVERY_MS. */
  function notifyTyping() {
    const now = Date.now();
    if (!sendTyping || now - lastTypingSent < TYPING_SEND_EVERY_MS) return;
    lastTypingSent = now;
    sendTyping();
  }

  return { messages: visible, state, has: (id: string) => all().has(id), online, typing, notifyTyping };
}
