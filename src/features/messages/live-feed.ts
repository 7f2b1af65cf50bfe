import { batch, createMemo, createSignal, onCleanup, onMount } from "solid-js";
import { createStore, produce } from "solid-js/store";
import type { ConnectionState, MessageChange } from "~/lib/realtime-feed";
import { compareNewestFirst, type FeedCursor, type FeedMessage, supersedes, toIsoMicros } from "~/lib/domain/messages";
import { getChangesSince, getRealtimeAccess, getUsernames } from "./messages.api";

/** Which messages a view shows: the public feed, or one conversation. */
export type FeedScope = (message: FeedMessage) => boolean;

/**
 * The messages a page shows, kept current: the server-rendered page, then Realtime changes applied
 * by id (an optimistic copy, its echo and a catch-up fetch all land on the same key, so nothing is
 * shown twice), then after every (re)subscription whatever changed since the newest cursor.
 */
export function createLiveFeed(initial: () => FeedMessage[] | undefined, scope: FeedScope) {
  const [byId, setById] = createStore<Record<string, FeedMessage>>({});
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

  async function nameOf(id: string | null): Promise<string | null> {
    if (!id) return null;
    const known = knownName(id);
    if (known) return known;
    setNames(await getUsernames([id]));
    return names[id] ?? "…";
  }

  async function apply(change: MessageChange) {
    const { row } = change;
    if (change.type === "DELETE") {
      const known = all().get(row.id);
      // A hard delete (an admin cleaning up) hides the message like a tombstone would.
      if (known) merge([{ ...known, body: "", deletedAt: known.deletedAt ?? toIsoMicros(new Date().toISOString()) }]);
      return;
    }
    if (!row.author_id || !row.created_at) return;
    const [authorName, recipientName] = await Promise.all([nameOf(row.author_id), nameOf(row.recipient_id ?? null)]);
    merge([
      {
        id: row.id,
        authorId: row.author_id,
        authorName: authorName ?? "…",
        recipientId: row.recipient_id ?? null,
        recipientName,
        isAnnouncement: row.is_announcement ?? false,
        body: row.body ?? "",
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
    let connection: { close(): void } | undefined;
    let unmounted = false;
    onCleanup(() => {
      unmounted = true;
      connection?.close();
    });
    void import("~/lib/realtime-feed").then(({ connectLiveFeed }) => {
      if (unmounted) return;
      connection = connectLiveFeed({
        getAccess: () => getRealtimeAccess(),
        onChange: (change) => {
          applying = applying.then(() => apply(change)).catch(() => undefined);
        },
        onState: setState,
        onSubscribed: () => void catchUp().catch(() => setState("reconnecting")),
      });
    });
  });

  return { messages: visible, state, has: (id: string) => all().has(id) };
}
