import { randomUUID } from "node:crypto";
import { createClient, type RealtimeChannel, type SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { conversationTopic, FEED_TOPIC, MESSAGE_EVENT, TYPING_EVENT } from "../../src/lib/domain/realtime-topics.ts";
import { waitUntil } from "../fixtures/feed-realtime.ts";
import { createFeedUser, feedDatabase, type FeedUser } from "../fixtures/feed-users.ts";

/**
 * The app's topics as any client sees them (unmodified supabase-js over the embedded backend):
 * who may join, track and broadcast where, and what reaches whom. The browser tests show the same
 * through the pages; this is the level a hand-written client would attack.
 */
const sql = feedDatabase();

interface Member {
  user: FeedUser;
  supabase: SupabaseClient;
  channels: RealtimeChannel[];
  /** Everything any of its channels received: broadcasts, presence syncs, statuses. */
  seen: string[];
}

async function member(user: FeedUser): Promise<Member> {
  const supabase = createClient(inject("apiUrl"), inject("publishableKey"), {
    auth: { persistSession: false, autoRefreshToken: false },
  });
  const { data, error } = await supabase.auth.signInWithPassword({ email: user.email, password: user.password });
  if (error || !data.session) throw error ?? new Error(`no session for ${user.email}`);
  await supabase.realtime.setAuth(data.session.access_token);
  return { user, supabase, channels: [], seen: [] };
}

/** Joins `topic` privately with presence keyed by the user's id; resolves with the first status. */
async function join(who: Member, topic: string): Promise<{ channel: RealtimeChannel; status: string; error?: string }> {
  const channel = who.supabase.channel(topic, { config: { private: true, presence: { key: who.user.id } } });
  let first: { status: string; error?: string } | undefined;
  channel
    .on("broadcast", { event: "*" }, (message) => who.seen.push(JSON.stringify(message)))
    .on("presence", { event: "sync" }, () => who.seen.push(`presence ${topic} ${JSON.stringify(channel.presenceState())}`))
    .subscribe((status, err) => {
      who.seen.push(`status ${topic} ${status}`);
      first ??= { status, error: err?.message };
    });
  await waitUntil(() => first !== undefined, `${who.user.username} to join ${topic}`);
  who.channels.push(channel);
  return { channel, ...(first as { status: string; error?: string }) };
}

describe("the app's private topics over the wire", () => {
  let tia: Member;
  let tom: Member;
  let third: Member;
  let moderator: Member;
  let dm: string;
  let tiaOnDm: RealtimeChannel;
  let tomOnDm: RealtimeChannel;

  beforeAll(async () => {
    const users = await Promise.all([
      createFeedUser("rtia"),
      createFeedUser("rtom"),
      createFeedUser("rout"),
      createFeedUser("rmod", { moderator: true }),
    ]);
    [tia, tom, third, moderator] = (await Promise.all(users.map(member))) as [Member, Member, Member, Member];
    dm = conversationTopic(tia.user.id, tom.user.id);
    tiaOnDm = (await join(tia, dm)).channel;
    tomOnDm = (await join(tom, dm)).channel;
    // Everyone is on the feed, the outsiders included: that is where they would overhear.
    for (const who of [tia, tom, third, moderator]) expect((await join(who, FEED_TOPIC)).status).toBe("SUBSCRIBED");
  });

  afterAll(async () => {
    for (const who of [tia, tom, third, moderator]) await who?.supabase.removeAllChannels();
    await sql.end();
  });

  it("a third user and a moderator are refused a conversation's topic, as Supabase words it", async () => {
    for (const outsider of [third, moderator]) {
      const refused = await join(outsider, dm);
      expect(refused.status).toBe("CHANNEL_ERROR");
      expect(refused.error).toContain(`Unauthorized: You do not have permissions to read from this Channel topic: ${dm}`);
      await outsider.supabase.removeChannel(refused.channel);
    }
  });

  it("typing reaches the other participant only, and presence on the conversation is theirs alone", async () => {
    const marker = randomUUID();
    await tiaOnDm.track({ marker });
    expect(await tiaOnDm.send({ type: "broadcast", event: TYPING_EVENT, payload: { userId: tia.user.id, marker } })).toBe("ok");
    await waitUntil(() => tom.seen.some((entry) => entry.includes(TYPING_EVENT) && entry.includes(marker)), "tom to see typing");
    await waitUntil(() => Object.keys(tomOnDm.presenceState()).includes(tia.user.id), "tom to see tia present");
    // The outsiders' REST sends to the topic are refused too (the INSERT policy), and nothing of
    // the conversation reached them.
    for (const outsider of [third, moderator]) {
      const probe = outsider.supabase.channel(dm, { config: { private: true } });
      await expect(probe.httpSend(TYPING_EVENT, { userId: outsider.user.id, marker })).rejects.toThrow();
      await outsider.supabase.removeChannel(probe);
    }
    await waitUntil(() => tom.seen.filter((entry) => entry.includes(marker)).length >= 2, "tom's presence and typing");
    for (const outsider of [third, moderator]) {
      // Their own refused joins aside, nothing they saw names the conversation.
      const overheard = outsider.seen.filter(
        (entry) => !entry.startsWith("status ") && (entry.includes(marker) || entry.includes(dm.slice(3))),
      );
      expect(overheard).toEqual([]);
      expect(outsider.seen.filter((entry) => entry.includes(TYPING_EVENT))).toEqual([]);
    }
    expect(tia.seen.filter((entry) => entry.includes(TYPING_EVENT))).toEqual([]);
  });

  it("a direct message is broadcast to its two participants only; a public one to the whole feed", async () => {
    const [secret, open] = [`psst ${randomUUID()}`, `hello ${randomUUID()}`];
    await sql`insert into public.messages (author_id, recipient_id, body) values (${tia.user.id}, ${tom.user.id}, ${secret})`;
    await sql`insert into public.messages (author_id, body) values (${tom.user.id}, ${open})`;
    for (const who of [tia, tom, third, moderator])
      await waitUntil(() => who.seen.some((entry) => entry.includes(open)), `${who.user.username} to get the public message`);
    for (const who of [tia, tom]) {
      const received = who.seen.filter((entry) => entry.includes(secret));
      expect(received, who.user.username).toHaveLength(1);
      expect(JSON.parse(received[0] ?? "{}")).toMatchObject({ event: MESSAGE_EVENT, payload: { operation: "INSERT" } });
    }
    for (const outsider of [third, moderator]) expect(outsider.seen.filter((entry) => entry.includes(secret))).toEqual([]);
  });

  it("on the feed every signed-in user may be present, but no client may broadcast as the database", async () => {
    const feed = (who: Member) => who.channels.find((channel) => channel.topic === `realtime:${FEED_TOPIC}`) as RealtimeChannel;
    expect(await feed(third).track({ here: true })).toBe("ok");
    await waitUntil(() => Object.keys(feed(tia).presenceState()).includes(third.user.id), "tia to see the third user online");
    const forged = `forged ${randomUUID()}`;
    await expect(feed(third).httpSend(MESSAGE_EVENT, { operation: "INSERT", record: { body: forged } })).rejects.toThrow();
    // The websocket path too: the server drops a send the INSERT policy refuses.
    await feed(third).send({
      type: "broadcast",
      event: MESSAGE_EVENT,
      payload: { operation: "INSERT", record: { body: forged } },
    });
    const after = `after ${randomUUID()}`;
    await sql`insert into public.messages (author_id, body) values (${tom.user.id}, ${after})`;
    await waitUntil(() => tia.seen.some((entry) => entry.includes(after)), "tia to get the next real message");
    expect(tia.seen.filter((entry) => entry.includes(forged))).toEqual([]);
  });
});
