import { batch, createMemo, createSignal, onCleanup, onMount } from "solid-js";
import { compareNewestFirst, compareOldestFirst, type FeedCursor, type FeedMessage, supersedes } from "~/lib/domain/messages";
import type { DatabaseTopic } from "~/lib/domain/realtime-topics";
import { getChangesSince } from "./messages.api";

/** What the page shows about the live connection. */
export type ConnectionState = "connecting" | "live" | "reconnecting" | "offline";

/** What a page shares on its topic besides the messages. */
export interface LiveFeedSharing {
  /** The signed-in user: the presence key and the sender of typing events. */
  me: () => string | undefined;
  /** Track this tab in the topic's presence (the public feed: who is online). */
  presence?: boolean;
  /** Send and show typing (a conversation): Broadcast between the two, never stored. */
  typing?: boolean;
}

/** Older pages of a feed, fetched as the reader scrolls up (keyset pages, ADR 0037). */
export interface FeedPaging {
  /** The cursor of the page before the first one shown, from the rendered page; null at the start. */
  older: () => FeedCursor | null | undefined;
  fetch: (before: FeedCursor) => Promise<{ messages: FeedMessage[]; older: FeedCursor | null }>;
}

/** Which messages a view shows: the public feed, or one conversation. */
export type FeedScope = (message: FeedMessage) => boolean;

/** What the lazily loaded channel (./live-channel) reads and writes of a page's feed. */
export interface LiveFeedState {
  merge(messages: FeedMessage[]): void;
  known(id: string): FeedMessage | undefined;
  initial(): FeedMessage[] | undefined;
  /** Usernames learnt so far, by user id. */
  name(id: string): string | undefined;
  setNames(names: Record<string, string>): void;
  catchUp(): Promise<void>;
  setState(state: ConnectionState): void;
  /** Who has the topic open, each once, by name. */
  setOnline(users: { id: string; name: string }[]): void;
  setTyping(id: string | null): void;
  typing(): string | null;
}

/**
 * The messages a page shows, kept current: the server-rendered page, then the changes the database
 * broadcasts to the page's private topic, applied by id (an optimistic copy, its echo and a
 * catch-up fetch all land on the same key, so nothing is shown twice), then after every
 * (re)subscription whatever changed since the newest cursor: Broadcast keeps nothing for a
 * socket that was away. The Realtime side loads after mount (ADR 0031); this part is what the
 * server renders and the page needs up front.
 */
export function createLiveFeed(
  initial: () => FeedMessage[] | undefined,
  scope: FeedScope,
  topic: () => DatabaseTopic | undefined,
  sharing?: LiveFeedSharing,
  paging?: FeedPaging,
) {
  // Plain signals rather than a store: solid-js/store would be one more chunk up front (ADR 0015).
  const [byId, setById] = createSignal<ReadonlyMap<string, FeedMessage>>(new Map());
  // Read by the channel only, never rendered: no need to be reactive.
  const names: Record<string, string> = {};
  const [state, setState] = createSignal<ConnectionState>("connecting");
  const [online, setOnline] = createSignal<{ id: string; name: string }[]>([]);
  const [typing, setTyping] = createSignal<string | null>(null);
  // undefined until a page was fetched here: until then the rendered page's cursor is the one.
  const [fetchedOlder, setFetchedOlder] = createSignal<FeedCursor | null | undefined>(undefined);
  const [loadingOlder, setLoadingOlder] = createSignal(false);
  let notify: (() => void) | undefined;
  let syncedAt: string | null = null;

  function merge(messages: FeedMessage[]) {
    setById((current) => {
      const next = new Map(current);
      for (const message of messages) if (supersedes(next.get(message.id), message)) next.set(message.id, message);
      return next;
    });
    for (const message of messages) {
      names[message.authorId] = message.authorName;
      if (message.recipientId && message.recipientName) names[message.recipientId] = message.recipientName;
    }
  }

  // The server-rendered page plus whatever arrived live; derived (not copied in an effect) so the
  // server renders the same list the browser hydrates.
  const all = createMemo(() => {
    const merged = new Map<string, FeedMessage>();
    for (const message of initial() ?? []) merged.set(message.id, message);
    for (const message of byId().values()) if (supersedes(merged.get(message.id), message)) merged.set(message.id, message);
    return merged;
  });

  // Removed messages stay in place as tombstones: a reply to them still reads in context.
  const visible = createMemo(() => [...all().values()].filter(scope).sort(compareOldestFirst));

  const older = () => {
    const fetched = fetchedOlder();
    return fetched === undefined ? (paging?.older() ?? null) : fetched;
  };

  async function loadOlder() {
    const before = older();
    if (!paging || !before || loadingOlder()) return;
    setLoadingOlder(true);
    try {
      const page = await paging.fetch(before);
      batch(() => {
        merge(page.messages);
        setFetchedOlder(page.older);
      });
    } finally {
      setLoadingOlder(false);
    }
  }

  function newestCursor(): FeedCursor | null {
    let newest: FeedMessage | undefined;
    for (const message of all().values()) {
      if (!newest || compareNewestFirst(message, newest) < 0) newest = message;
    }
    return newest ? { createdAt: newest.createdAt, id: newest.id } : null;
  }

  const feed: LiveFeedState = {
    merge,
    known: (id) => all().get(id),
    initial,
    name: (id) => names[id],
    setNames: (found) => Object.assign(names, found),
    async catchUp() {
      const result = await getChangesSince(newestCursor(), syncedAt);
      syncedAt = result.syncedAt;
      merge(result.messages);
    },
    setState,
    setOnline,
    setTyping,
    typing,
  };

  onMount(() => {
    const name = topic();
    if (!name) return;
    let leave: (() => void) | undefined;
    let unmounted = false;
    onCleanup(() => {
      unmounted = true;
      notify = undefined;
      leave?.();
    });
    void import("./live-channel").then(
      ({ joinLiveChannel }) => {
        if (unmounted) return;
        const me = sharing?.me();
        const channel = joinLiveChannel(name, feed, {
          me,
          presence: !!sharing?.presence && !!me,
          typing: !!sharing?.typing && !!me,
        });
        leave = channel.leave;
        notify = channel.notifyTyping;
      },
      () => setState("reconnecting"),
    );
  });

  return {
    messages: visible,
    /** Where the next older page starts, or null when the oldest message is shown. */
    older,
    loadingOlder,
    loadOlder,
    state,
    has: (id: string) => all().has(id),
    online,
    /** The user typing on the page's topic (in a conversation: the other participant), if any. */
    typing,
    /** Call on every keystroke; the channel throttles what it sends. */
    notifyTyping: () => notify?.(),
  };
}
