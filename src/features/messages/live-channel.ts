import type { RealtimeChannel } from "@supabase/realtime-js";
import { feedMessageOf, type MessageRecord, USERNAMES_PER_REQUEST } from "~/lib/domain/messages";
import { toIsoMicros } from "~/lib/domain/timestamps";
import {
  DATABASE_EVENTS,
  type DatabaseTopic,
  SIGNAL_EVENTS,
  SIGNAL_TICKET_PATTERN,
  type SignalClaim,
  signalTopicOf,
} from "~/lib/domain/realtime-topics";
import { UUID_PATTERN } from "~/lib/domain/ids";
import { useRealtime } from "~/lib/realtime";
import type { LiveFeedState } from "./live-feed";
import { getRealtimeAccess, getSignalNames, getSignalTicket, getUsernames } from "./messages.api";

/**
 * The payload realtime.broadcast_changes sends: the new row (none for a DELETE), and of the old
 * row only its id (the trigger sends no earlier wording, ADR 0040).
 */
interface MessageChange {
  operation: "INSERT" | "UPDATE" | "DELETE";
  record: MessageRecord | null;
  old_record: Pick<MessageRecord, "id"> | null;
}

/** At most one typing event per this long while the user types. */
const TYPING_SEND_EVERY_MS = 2_000;
/** The other's "is typing..." goes away this long after their last typing event. */
const TYPING_SHOWN_MS = 4_000;
/** Track again with a fresh ticket this long before the current one expires. */
const RETRACK_BEFORE_SECONDS = 60;

const offline = () => navigator.onLine === false;

/** What a presence entry or a typing event carries: a ticket the server signed for its user. */
interface Signal {
  ticket?: unknown;
}

/**
 * A page's live view of a database topic (the feed, a conversation) on the page's shared socket,
 * written as Supabase's docs write it: `channel(topic, { config: { private: true } })`. Loaded
 * after mount together with realtime-js (ADR 0031), so none of it weighs on the page's up-front
 * JavaScript.
 *
 * Two channels, never one (ADR 0040): row changes come only from the database topic, which no
 * client may write; presence and typing come from its signal topic, where any member may send
 * anything, so they are hints, shown only for identities the server vouches for.
 */
export function joinLiveChannel(
  topic: DatabaseTopic,
  feed: LiveFeedState,
  options: { me: string | undefined; presence: boolean; typing: boolean },
): { notifyTyping: () => void; leave: () => void } {
  const { me } = options;
  const realtime = useRealtime(() => getRealtimeAccess());
  const channels: RealtimeChannel[] = [];
  let signals: RealtimeChannel | undefined;
  let left = false;
  let subscribed = false;
  let signalsSubscribed = false;
  let typingTimer: ReturnType<typeof setTimeout> | undefined;
  let retrackTimer: ReturnType<typeof setTimeout> | undefined;
  let lastTypingSent = 0;
  let ownTicket: Promise<{ ticket: string; expiresAt: number }> | undefined;
  let ownTicketExpiresAt = 0;
  /** `<user id> <ticket>` pairs the server vouched for (until the ticket's own expiry) or refused. */
  const vouched = new Set<string>();
  const refused = new Set<string>();

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

  const pair = (id: string, ticket: string) => `${id} ${ticket}`;
  const ticketLive = (ticket: string) => Number(ticket.split(".")[0]) > Date.now() / 1000;

  function vouchedFor(id: string, signal: Signal | undefined): boolean {
    const ticket = signal?.ticket;
    return typeof ticket === "string" && ticketLive(ticket) && vouched.has(pair(id, ticket));
  }

  /** Asks the server which of these (user, ticket) pairs it signed; learns their names too. */
  async function vouch(entries: SignalClaim[]): Promise<void> {
    const unknown = entries.filter(
      ({ id, ticket }) =>
        // What the server signs: anything else on a signal topic is nobody, and is not even asked about.
        UUID_PATTERN.test(id) &&
        SIGNAL_TICKET_PATTERN.test(ticket) &&
        ticketLive(ticket) &&
        !vouched.has(pair(id, ticket)) &&
        !refused.has(pair(id, ticket)),
    );
    for (let i = 0; i < unknown.length; i += USERNAMES_PER_REQUEST) {
      const slice = unknown.slice(i, i + USERNAMES_PER_REQUEST);
      const answer: unknown = await getSignalNames(slice);
      // A refused or failed call hands back a Response rather than throwing (ADR 0035): that is
      // no verdict on the tickets, so nothing is marked refused and the next sync asks again.
      if (!answer || typeof answer !== "object" || answer instanceof Response) throw new Error("signal names unavailable");
      const names = answer as Record<string, string>;
      feed.setNames(names);
      for (const entry of slice) (names[entry.id] ? vouched : refused).add(pair(entry.id, entry.ticket));
    }
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
    feed.merge([feedMessageOf(row, authorName ?? "...", recipientName)]);
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

  function freshTicket() {
    ownTicket = getSignalTicket().then((answer) => {
      // A refused call hands back its redirect Response rather than throwing (ADR 0035).
      if (typeof answer?.ticket !== "string") throw new Error("no signal ticket: the session has ended");
      ownTicketExpiresAt = answer.expiresAt;
      return answer;
    });
    ownTicket.catch(() => (ownTicket = undefined));
    return ownTicket;
  }

  /** Presence lives as long as the connection, and its ticket minutes: track again before it lapses. */
  async function track(channel: RealtimeChannel) {
    clearTimeout(retrackTimer);
    const { ticket, expiresAt } = await freshTicket();
    if (left || !signalsSubscribed) return;
    await channel.track({ ticket });
    retrackTimer = setTimeout(
      () => void track(channel).catch(() => undefined),
      Math.max(10, expiresAt - Date.now() / 1000 - RETRACK_BEFORE_SECONDS) * 1000,
    );
  }

  function joinSignals(client: Awaited<typeof realtime.client>) {
    // The presence key is the user's id: one entry per user, not per tab.
    const channel = client.channel(signalTopicOf(topic), { config: { private: true, presence: { key: me ?? "" } } });
    signals = channel;
    channels.push(channel);
    if (options.presence) {
      // Only keys with a ticket the server signed for that key are shown: anyone on the topic can
      // track under any key. The list is drawn from the channel's state at that moment: a check
      // started by an earlier sync may finish after a later one and must not bring back its list.
      const entries = () =>
        Object.entries(channel.presenceState<Signal>()).map(([id, metas]) => ({ id, metas: metas as Signal[] }));
      const show = () =>
        feed.setOnline(
          entries()
            .filter(({ id, metas }) => metas.some((meta) => vouchedFor(id, meta)))
            .map(({ id }) => ({ id, name: knownName(id) ?? "..." }))
            .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
        );
      channel.on("presence", { event: "sync" }, () => {
        show();
        const claimed = entries().flatMap(({ id, metas }) =>
          metas.flatMap((meta) => (typeof meta.ticket === "string" ? [{ id, ticket: meta.ticket }] : [])),
        );
        // A failed check (a busy server) is asked again, a few times, rather than leaving people out.
        const check = (tries: number): Promise<void> =>
          vouch(claimed).then(show, () =>
            tries > 1 ? new Promise((resolve) => setTimeout(resolve, 1_000)).then(() => check(tries - 1)) : undefined,
          );
        void check(5);
      });
    }
    if (options.typing) {
      channel.on("broadcast", { event: SIGNAL_EVENTS.typing }, (message) => {
        const payload = message.payload as (Signal & { userId?: unknown }) | undefined;
        const from = payload?.userId;
        const ticket = payload?.ticket;
        if (typeof from !== "string" || typeof ticket !== "string" || from === me) return;
        const showTyping = () => {
          if (!vouchedFor(from, payload)) return;
          feed.setTyping(from);
          clearTimeout(typingTimer);
          typingTimer = setTimeout(() => feed.setTyping(null), TYPING_SHOWN_MS);
        };
        if (vouchedFor(from, payload)) showTyping();
        else void vouch([{ id: from, ticket }]).then(showTyping, () => undefined);
      });
    }
    channel.subscribe((status) => {
      signalsSubscribed = status === "SUBSCRIBED";
      if (signalsSubscribed && options.presence) void track(channel).catch(() => undefined);
    });
  }

  void realtime.client.then(
    (client) => {
      if (left) return;
      const rows = client.channel(topic, { config: { private: true } });
      channels.push(rows);
      rows.on("broadcast", { event: DATABASE_EVENTS.message }, (message) => {
        applying = applying.then(() => apply(message.payload as MessageChange)).catch(() => undefined);
      });
      rows.subscribe((status) => {
        subscribed = status === "SUBSCRIBED";
        if (subscribed) {
          feed.setState("live");
          catchUp();
        } else if (!left) {
          // CLOSED: the server ended the channel (its token expired or was revoked): a signed-out
          // session stops receiving here, and the page says so.
          feed.setState(status === "CLOSED" || offline() ? "offline" : "reconnecting");
        }
      });
      if (options.presence || options.typing) joinSignals(client);
    },
    () => feed.setState(offline() ? "offline" : "reconnecting"),
  );

  return {
    notifyTyping() {
      const now = Date.now();
      if (!options.typing || !signalsSubscribed || now - lastTypingSent < TYPING_SEND_EVERY_MS) return;
      lastTypingSent = now;
      const channel = signals;
      const current = ownTicket && ownTicketExpiresAt - now / 1000 > RETRACK_BEFORE_SECONDS ? ownTicket : freshTicket();
      void current
        .then(({ ticket }) => channel?.send({ type: "broadcast", event: SIGNAL_EVENTS.typing, payload: { userId: me, ticket } }))
        .catch(() => undefined);
    },
    leave() {
      left = true;
      clearTimeout(typingTimer);
      clearTimeout(retrackTimer);
      window.removeEventListener("offline", onOffline);
      window.removeEventListener("online", onOnline);
      document.removeEventListener("visibilitychange", onVisible);
      if (!channels.length) return realtime.release();
      void realtime.client
        .then((client) => Promise.all(channels.map((channel) => client.removeChannel(channel))))
        .catch(() => undefined)
        .finally(realtime.release);
    },
  };
}
