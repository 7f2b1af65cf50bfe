import type { RealtimeChannel } from "@supabase/realtime-js";
import { USERNAMES_PER_REQUEST } from "~/lib/domain/messages";
import { toIsoMicros } from "~/lib/domain/timestamps";
import { MESSAGE_EVENT, TYPING_EVENT } from "~/lib/domain/realtime-topics";
import { useRealtime } from "~/lib/realtime";
import type { LiveFeedState } from "./live-feed";
import { getRealtimeAccess, getUsernames } from "./messages.api";

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

/** At most one typing event per this long while the user types. */
const TYPING_SEND_EVERY_MS = 2_000;
/** The other's "is typing…" goes away this long after their last typing event. */
const TYPING_SHOWN_MS = 4_000;

const offline = () => navigator.onLine === false;

/**
 * A page's private channel on the page's shared socket, written as Supabase's docs write it:
 * `channel(topic, { config: { private: true } })`. Loaded after mount together with realtime-js
 * (ADR 0031), so none of it weighs on the page's up-front JavaScript.
 */
export function joinLiveChannel(
  topic: string,
  feed: LiveFeedState,
  options: { me: string | undefined; presence: boolean; typing: boolean },
): { notifyTyping: () => void; leave: () => void } {
  const { me } = options;
  const realtime = useRealtime(() => getRealtimeAccess());
  let channel: RealtimeChannel | undefined;
  let left = false;
  let subscribed = false;
  let typingTimer: ReturnType<typeof setTimeout> | undefined;
  let lastTypingSent = 0;

  function knownName(id: string): string | undefined {
    const learnt = feed.name(id);
    if (learnt) return learnt;
    for (const message of feed.initial() ?? []) {
      if (message.authorId === id) return message.authorName;
      if (message.recipientId === id && message.recipientName) return message.recipientName;
    }
    return undefined;
  }

  async function nameOf(id: string | null): Promise<string | null> {
    if (!id) return null;
    const known = knownName(id);
    if (known) return known;
    const found = await getUsernames([id]);
    feed.setNames(found);
    return found[id] ?? "...";
  }

  /** Names of users present on the topic, asked for in as few requests as the server allows. */
  async function learnNames(ids: string[]) {
    const unknown = ids.filter((id) => !knownName(id));
    for (let i = 0; i < unknown.length; i += USERNAMES_PER_REQUEST)
      feed.setNames(await getUsernames(unknown.slice(i, i + USERNAMES_PER_REQUEST)));
  }

  async function apply(change: MessageChange) {
    if (change.operation === "DELETE") {
      const known = change.old_record && feed.known(change.old_record.id);
      // A hard delete (an admin cleaning up) hides the message like a tombstone would.
      if (known) feed.merge([{ ...known, body: "", deletedAt: known.deletedAt ?? toIsoMicros(new Date().toISOString()) }]);
      return;
    }
    const row = change.record;
    if (!row?.id || !row.author_id || !row.created_at) return;
    if (change.operation === "INSERT" && row.author_id === feed.typing()) feed.setTyping(null);
    const [authorName, recipientName] = await Promise.all([nameOf(row.author_id), nameOf(row.recipient_id)]);
    feed.merge([
      {
        id: row.id,
        authorId: row.author_id,
        authorName: authorName ?? "...",
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
  const catchUp = () => void feed.catchUp().catch(() => feed.setState("reconnecting"));

  // realtime-js reconnects and rejoins by itself; these keep the badge honest and catch up after
  // a sleep, when the socket may look open although events were missed.
  const onOffline = () => feed.setState("offline");
  // A socket that outlived a short loss of network is still subscribed: say so (sends waiting in
  // the outbox go out on "live") and fetch what passed meanwhile.
  const onOnline = () => {
    if (!subscribed) return;
    feed.setState("live");
    catchUp();
  };
  const onVisible = () => {
    if (document.visibilityState === "visible" && subscribed) catchUp();
  };
  window.addEventListener("offline", onOffline);
  window.addEventListener("online", onOnline);
  document.addEventListener("visibilitychange", onVisible);

  void realtime.client.then(
    (client) => {
      if (left) return;
      // The presence key is the user's id: one entry per user, not per tab.
      const joined = client.channel(topic, { config: { private: true, presence: { key: me ?? "" } } });
      channel = joined;
      joined.on("broadcast", { event: MESSAGE_EVENT }, (message) => {
        applying = applying.then(() => apply(message.payload as MessageChange)).catch(() => undefined);
      });
      if (options.presence) {
        // The list is always drawn from the channel's state at that moment: a name lookup started
        // by an earlier sync may finish after a later one, and must not bring back its old list.
        const show = () =>
          feed.setOnline(
            Object.keys(joined.presenceState())
              .map((id) => ({ id, name: knownName(id) ?? "..." }))
              .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
          );
        joined.on("presence", { event: "sync" }, () => {
          const ids = Object.keys(joined.presenceState());
          show();
          // A failed lookup (a busy server) is asked again, a few times, rather than leaving "…".
          const learn = (tries: number): Promise<void> =>
            learnNames(ids).then(show, () =>
              tries > 1 ? new Promise((resolve) => setTimeout(resolve, 1_000)).then(() => learn(tries - 1)) : undefined,
            );
          void learn(3);
        });
      }
      if (options.typing) {
        joined.on("broadcast", { event: TYPING_EVENT }, (message) => {
          const from = (message.payload as { userId?: unknown } | undefined)?.userId;
          if (typeof from !== "string" || from === me) return;
          feed.setTyping(from);
          clearTimeout(typingTimer);
          typingTimer = setTimeout(() => feed.setTyping(null), TYPING_SHOWN_MS);
        });
      }
      joined.subscribe((status) => {
        subscribed = status === "SUBSCRIBED";
        if (subscribed) {
          feed.setState("live");
          catchUp();
          // Presence lives as long as the connection: every (re)join tracks again.
          if (options.presence) void joined.track({ online_at: new Date().toISOString() });
        } else if (!left) {
          // CLOSED: the server ended the channel (its token expired or was revoked): a signed-out
          // session stops receiving here, and the page says so.
          feed.setState(status === "CLOSED" || offline() ? "offline" : "reconnecting");
        }
      });
    },
    () => feed.setState(offline() ? "offline" : "reconnecting"),
  );

  return {
    notifyTyping() {
      const now = Date.now();
      if (!options.typing || !subscribed || now - lastTypingSent < TYPING_SEND_EVERY_MS) return;
      lastTypingSent = now;
      void channel?.send({ type: "broadcast", event: TYPING_EVENT, payload: { userId: me } });
    },
    leave() {
      left = true;
      clearTimeout(typingTimer);
      window.removeEventListener("offline", onOffline);
      window.removeEventListener("online", onOnline);
      document.removeEventListener("visibilitychange", onVisible);
      const joined = channel;
      if (!joined) return realtime.release();
      void realtime.client
        .then((client) => client.removeChannel(joined))
        .catch(() => undefined)
        .finally(realtime.release);
    },
  };
}
