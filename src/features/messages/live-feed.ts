import { batch, createMemo, createSignal, onCleanup, onMount } from "solid-js";
import { createStore, produce } from "solid-js/store";
import type { RealtimeChannel } from "@supabase/realtime-js";
import { compareNewestFirst, type FeedCursor, type FeedMessage, supersedes, toIsoMicros } from "~/lib/domain/messages";
import { MESSAGE_EVENT } from "~/lib/domain/realtime-topics";
import { getChangesSince, getRealtimeAccess, getUsernames } from "./messages.api";

/** What the page shows about the live connection. */
export type ConnectionState = "connecting" | "live" | "reconnecting" | "offline";

/** A row of public.messages as the trigger broadcasts it (to_jsonb: snake_case, ISO timestamps). */
interface MessageRow {
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
interface MessageChange {
  operation: "INSERT" | "UPDATE" | "DELETE";
  record: MessageRow | null;
  old_record: MessageRow | null;
}

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
export function createLiveFeed(initial: () => FeedMessage[] | undefined, scope: FeedScope, topic: () => string | undefined) {
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
    if (change.operation === "DELETE") {
      const known = change.old_record && all().get(change.old_record.id);
      // A hard delete (an admin cleaning up) hides the message like a tombstone would.
      if (known) merge([{ ...known, body: "", deletedAt: known.deletedAt ?? toIsoMicros(new Date().toISOString()) }]);
      return;
    }
    const row = change.record;
    if (!row?.id || !row.author_id || !row.created_at) return;
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
    void import("~/lib/realtime")
      .then(async ({ useRealtime }) => {
        if (unmounted) return;
        const realtime = useRealtime(() => getRealtimeAccess());
        leave = realtime.release;
        const client = await realtime.client;
        if (unmounted) return;
        const channel: RealtimeChannel = client
          .channel(name, { config: { private: true } })
          .on("broadcast", { event: MESSAGE_EVENT }, (message) => {
            const change = message.payload as MessageChange;
            applying = applying.then(() => apply(change)).catch(() => undefined);
          })
          .subscribe((status) => {
            subscribed = status === "SUBSCRIBED";
            if (subscribed) {
              setState("live");
              catchUpOrRetry();
            } else if (!unmounted) {
              // CLOSED: the server ended the channel (the token expired or was revoked): a signed-out
              // session stops receiving here and the page says so.
              setState(status === "CLOSED" || offline() ? "offline" : "reconnecting");
            }
          });
        leave = () => void client.removeChannel(channel).finally(realtime.release);
      })
      .catch(() => {
        if (!unmounted) setState(offline() ? "offline" : "reconnecting");
      });
  });

  return { messages: visible, state, has: (id: string) => all().has(id) };
}
