import { randomUUID } from "node:crypto";
import { createClient, type RealtimeChannel, type SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  conversationTopic,
  DATABASE_EVENTS,
  FEED_TOPIC,
  SIGNAL_EVENTS,
  signalTopicOf,
  userTopic,
} from "../../src/lib/domain/realtime-topics.ts";
import { AppClient } from "../fixtures/app-client.ts";
import { waitUntil } from "../fixtures/feed-realtime.ts";
import { createFeedUser, feedDatabase, type FeedUser } from "../fixtures/feed-users.ts";
import { callServerFunction, useServerFunctions } from "../fixtures/server-functions.ts";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

/**
 * The app's topics as an attacker sees them (unmodified supabase-js over the local Supabase): a
 * participant of the conversation, a third user, a moderator and a signed-out client each try to
 * send every database event on every database topic, over the socket and the REST endpoint, and to
 * pass for someone else on the signal topics. The browser tests show the same through the pages
 * (tests/e2e/forged-events.test.ts); this is the level a hand-written client would attack.
 */
const sql = feedDatabase();
const fn = useServerFunctions();

interface Member {
  name: string;
  user?: FeedUser;
  supabase: SupabaseClient;
  /**
   * The same user's second client, for one-off REST sends: realtime-js hands back the existing
   * channel for a topic already joined, and removing a probe would then leave that channel.
   */
  rest: SupabaseClient;
  channels: RealtimeChannel[];
  /** Everything any of its channels received: broadcasts, presence syncs, statuses. */
  seen: string[];
}

function client(): SupabaseClient {
  return createClient(inject("apiUrl"), inject("publishableKey"), { auth: { persistSession: false, autoRefreshToken: false } });
}

async function member(user: FeedUser): Promise<Member> {
  const supabase = client();
  const { data, error } = await supabase.auth.signInWithPassword({ email: user.email, password: user.password });
  if (error || !data.session) throw error ?? new Error(`no session for ${user.email}`);
  await supabase.realtime.setAuth(data.session.access_token);
  const rest = client();
  await rest.realtime.setAuth(data.session.access_token);
  return { name: user.username, user, supabase, rest, channels: [], seen: [] };
}

/** Joins `topic` privately (presence keyed by `key`); resolves with the first status. */
async function join(who: Member, topic: string, key = who.user?.id ?? "anon") {
  const channel = who.supabase.channel(topic, { config: { private: true, presence: { key } } });
  let first: { status: string; error?: string } | undefined;
  channel
    .on("broadcast", { event: "*" }, (message) => who.seen.push(JSON.stringify(message)))
    .on("presence", { event: "sync" }, () => who.seen.push(`presence ${topic} ${JSON.stringify(channel.presenceState())}`))
    .subscribe((status, err) => {
      who.seen.push(`status ${topic} ${status}`);
      first ??= { status, error: err?.message };
    });
  await waitUntil(() => first !== undefined, `${who.name} to join ${topic}`);
  who.channels.push(channel);
  return { channel, ...(first as { status: string; error?: string }) };
}

/** A forged row change, as the page would have applied it before ADR 0040. */
function forgedChange(marker: string, authorId: string) {
  const now = new Date(Date.now() + 3_600_000).toISOString();
  return {
    operation: "INSERT",
    record: { id: randomUUID(), author_id: authorId, recipient_id: null, is_announcement: true, body: marker, created_at: now },
    old_record: null,
    session_ids: [marker],
  };
}

describe("the app's private topics over the wire", () => {
  let tia: Member;
  let tom: Member;
  let third: Member;
  let moderator: Member;
  let signedOut: Member;
  let dm: ReturnType<typeof conversationTopic>;

  beforeAll(async () => {
    const users = await Promise.all([
      createFeedUser("rtia"),
      createFeedUser("rtom"),
      createFeedUser("rout"),
      createFeedUser("rmod", { moderator: true }),
    ]);
    [tia, tom, third, moderator] = (await Promise.all(users.map(member))) as [Member, Member, Member, Member];
    signedOut = { name: "signed-out", supabase: client(), rest: client(), channels: [], seen: [] };
    dm = conversationTopic(tia.user?.id ?? "", tom.user?.id ?? "");
    for (const who of [tia, tom]) {
      expect((await join(who, dm)).status).toBe("SUBSCRIBED");
      expect((await join(who, signalTopicOf(dm))).status).toBe("SUBSCRIBED");
    }
    // Everyone signed in is on the feed, the outsiders included: that is where they would overhear.
    for (const who of [tia, tom, third, moderator]) {
      expect((await join(who, FEED_TOPIC)).status).toBe("SUBSCRIBED");
      expect((await join(who, signalTopicOf(FEED_TOPIC))).status).toBe("SUBSCRIBED");
      expect((await join(who, userTopic(who.user?.id ?? ""))).status).toBe("SUBSCRIBED");
    }
  });

  afterAll(async () => {
    for (const who of [tia, tom, third, moderator, signedOut]) {
      await who?.supabase.removeAllChannels();
      await who?.rest.removeAllChannels();
    }
    await sql.end();
  });

  it("a third user and a moderator are refused a conversation's topics, as Supabase words it", async () => {
    for (const outsider of [third, moderator]) {
      for (const topic of [dm, signalTopicOf(dm)]) {
        const refused = await join(outsider, topic);
        expect(refused.status).toBe("CHANNEL_ERROR");
        expect(refused.error).toContain(`Unauthorized: You do not have permissions to read from this Channel topic: ${topic}`);
        await outsider.supabase.removeChannel(refused.channel);
      }
    }
  });

  it("nobody can join another user's own topic, nor any topic signed out", async () => {
    for (const [who, topic] of [
      [third, userTopic(tia.user?.id ?? "")],
      [moderator, userTopic(tia.user?.id ?? "")],
      [signedOut, FEED_TOPIC],
      [signedOut, signalTopicOf(FEED_TOPIC)],
    ] as const) {
      const refused = await join(who, topic);
      expect(refused.status, `${who.name} on ${topic}`).toBe("CHANNEL_ERROR");
      await who.supabase.removeChannel(refused.channel);
    }
  });

  it("no client, participant or not, sends any database event to any database topic, by socket or REST", async () => {
    const markers: string[] = [];
    const targets = [FEED_TOPIC, dm, userTopic(tia.user?.id ?? "")];
    for (const attacker of [tom, third, moderator, signedOut]) {
      for (const topic of targets) {
        for (const event of Object.values(DATABASE_EVENTS)) {
          const marker = `forged ${attacker.name} ${event} ${randomUUID()}`;
          markers.push(marker);
          const payload = forgedChange(marker, moderator.user?.id ?? "");
          // A joined channel sends over the socket; the server drops what the INSERT policy refuses.
          const joined = attacker.channels.find((channel) => channel.topic === `realtime:${topic}`);
          if (joined) await joined.send({ type: "broadcast", event, payload });
          // And the REST endpoint, whatever the socket may do.
          const probe = attacker.rest.channel(topic, { config: { private: true } });
          await expect(probe.httpSend(event, payload), `${attacker.name} ${event} on ${topic}`).rejects.toThrow();
          await attacker.rest.removeChannel(probe);
        }
      }
    }
    // The batch endpoint with the attacker's own token: 202 (Realtime skips what it refuses), nothing delivered.
    const session = await tom.supabase.auth.getSession();
    const batchMarker = `forged batch ${randomUUID()}`;
    markers.push(batchMarker);
    const batch = await fetch(`${inject("apiUrl")}/realtime/v1/api/broadcast`, {
      method: "POST",
      headers: {
        apikey: inject("publishableKey"),
        authorization: `Bearer ${session.data.session?.access_token}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({
        messages: targets.map((topic) => ({
          topic,
          event: DATABASE_EVENTS.message,
          payload: forgedChange(batchMarker, ""),
          private: true,
        })),
      }),
    });
    expect(batch.status).toBe(202);

    // A real message after all of it: once it arrived, anything forged would have too.
    const real = `real ${randomUUID()}`;
    await sql`insert into public.messages (author_id, recipient_id, body) values (${tom.user?.id ?? ""}, ${tia.user?.id ?? ""}, ${real})`;
    await sql`insert into public.messages (author_id, body) values (${tom.user?.id ?? ""}, ${real})`;
    await waitUntil(() => tia.seen.filter((entry) => entry.includes(real)).length >= 2, "tia to get the real messages");
    for (const victim of [tia, tom, third, moderator])
      expect(
        victim.seen.filter((entry) => markers.some((marker) => entry.includes(marker))),
        victim.name,
      ).toEqual([]);
  });

  it("typing and presence travel on the signal topic only, to its members only", async () => {
    const marker = randomUUID();
    const tiaSignals = tia.channels.find((channel) => channel.topic === `realtime:${signalTopicOf(dm)}`) as RealtimeChannel;
    await tiaSignals.track({ marker });
    expect(
      await tiaSignals.send({ type: "broadcast", event: SIGNAL_EVENTS.typing, payload: { userId: tia.user?.id, marker } }),
    ).toBe("ok");
    await waitUntil(() => tom.seen.filter((entry) => entry.includes(marker)).length >= 2, "tom's presence and typing");
    for (const outsider of [third, moderator]) {
      const probe = outsider.rest.channel(signalTopicOf(dm), { config: { private: true } });
      await expect(probe.httpSend(SIGNAL_EVENTS.typing, { userId: outsider.user?.id, marker })).rejects.toThrow();
      await outsider.rest.removeChannel(probe);
      expect(outsider.seen.filter((entry) => !entry.startsWith("status ") && entry.includes(marker))).toEqual([]);
    }
  });

  it("a database row reaches its readers only: a direct message its two participants, a public one the whole feed", async () => {
    const [secret, open] = [`psst ${randomUUID()}`, `hello ${randomUUID()}`];
    await sql`insert into public.messages (author_id, recipient_id, body) values (${tia.user?.id ?? ""}, ${tom.user?.id ?? ""}, ${secret})`;
    await sql`insert into public.messages (author_id, body) values (${tom.user?.id ?? ""}, ${open})`;
    for (const who of [tia, tom, third, moderator])
      await waitUntil(() => who.seen.some((entry) => entry.includes(open)), `${who.name} to get the public message`);
    for (const who of [tia, tom]) {
      const received = who.seen.filter((entry) => entry.includes(secret));
      expect(received, who.name).toHaveLength(1);
      expect(JSON.parse(received[0] ?? "{}")).toMatchObject({ event: DATABASE_EVENTS.message, payload: { operation: "INSERT" } });
    }
    for (const outsider of [third, moderator]) expect(outsider.seen.filter((entry) => entry.includes(secret))).toEqual([]);
  });

  it("a moderator's tombstone sends no deleted text, and leaves none in realtime.messages", async () => {
    const text = `soon gone ${randomUUID()}`;
    const [row] = await sql<{ id: string }[]>`
      insert into public.messages (author_id, body) values (${tom.user?.id ?? ""}, ${text}) returning id`;
    await waitUntil(() => third.seen.some((entry) => entry.includes(text)), "the feed to get the message");
    await sql`update public.messages set deleted_at = now() where id = ${row?.id ?? ""}`;
    await waitUntil(
      () => third.seen.some((entry) => entry.includes(row?.id ?? "") && entry.includes('"operation":"UPDATE"')),
      "the feed to get the tombstone",
    );
    expect(third.seen.filter((entry) => entry.includes(text))).toHaveLength(1);
    const stored = await sql`select 1 from realtime.messages where payload::text like ${`%${text}%`}`;
    expect(stored).toHaveLength(0);
  });

  it("the server vouches for a presence or typing identity only with the ticket it signed for that user", async () => {
    const app = new AppClient();
    await app.signIn(tia.user?.email ?? "", tia.user?.password ?? "", "/messages");
    const ticket = (await callServerFunction(app, fn("getSignalTicket"), { args: [] })).value as { ticket: string };
    const names = async (entries: unknown[]) => (await callServerFunction(app, fn("getSignalNames"), { args: [entries] })).value;
    const [tiaId, tomId] = [tia.user?.id ?? "", tom.user?.id ?? ""];
    expect(await names([{ id: tiaId, ticket: ticket.ticket }])).toEqual({ [tiaId]: tia.name });
    // Tia's ticket under Tom's key, a made-up one, a tampered one, an expired one: nobody.
    const [expiresAt, signature] = ticket.ticket.split(".");
    for (const forged of [
      { id: tomId, ticket: ticket.ticket },
      { id: tomId, ticket: `${expiresAt}.${"A".repeat(43)}` },
      { id: tiaId, ticket: `${Number(expiresAt) + 60}.${signature}` },
      { id: tiaId, ticket: `1.${signature}` },
    ])
      expect(await names([forged]), JSON.stringify(forged)).toEqual({});
  });

  it("a token whose session was revoked joins nothing, though it has not expired (ADR 0040)", async () => {
    const user = await createFeedUser("rrev");
    const leaving = await member(user);
    expect((await join(leaving, FEED_TOPIC)).status).toBe("SUBSCRIBED");
    const { error } = await leaving.supabase.auth.signOut({ scope: "global" });
    expect(error).toBeNull();
    for (const topic of [FEED_TOPIC, signalTopicOf(FEED_TOPIC), userTopic(user.id)]) {
      // The second client still holds the old, unexpired token (auth-js forgets it on sign-out;
      // an attacker who copied it would not).
      const refused = await join({ ...leaving, supabase: leaving.rest, seen: [] }, topic);
      expect(refused.status, topic).toBe("CHANNEL_ERROR");
      await leaving.rest.removeChannel(refused.channel);
    }
    await leaving.supabase.removeAllChannels();
    await leaving.rest.removeAllChannels();
  });
});
