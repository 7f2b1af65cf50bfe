import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conversationTopic } from "../../src/lib/domain/realtime-topics.ts";
import { AppClient } from "../fixtures/app-client.ts";
import { type Change, eventsFor, type FeedSubscriber, type Row, subscribeAs, waitUntil } from "../fixtures/feed-realtime.ts";
import {
  createFeedUser,
  dropRealtimeSockets,
  feedDatabase,
  feedOrder,
  type FeedUser,
  insertMessages,
  unique,
} from "../fixtures/feed-users.ts";

/**
 * The live feed over the wire: messages go in through the BUILT app's actions (form posts, as a
 * browser without JavaScript sends them) and come out of the embedded Realtime server to
 * unmodified supabase-js subscribers, each signed in as its own user (per-subscriber RLS).
 */

const sql = feedDatabase();

async function httpClient(user: FeedUser): Promise<AppClient> {
  const client = new AppClient();
  await client.signIn(user.email, user.password, "/messages");
  return client;
}

function send(client: AppClient, fields: { id: string; body: string; to?: string; announcement?: "on" }): Promise<Response> {
  return client.submit(fields.to ? `/messages/direct/${fields.to}` : "/messages", "sendMessage", fields);
}

/**
 * Realtime delivers changes in commit order: once a message inserted AFTER `ids` has reached every
 * subscriber, anything about `ids` that was going to reach them has arrived.
 */
async function settle(subscribers: FeedSubscriber[], authorId: string): Promise<void> {
  const [marker] = await insertMessages(sql, authorId, [unique("marker")]);
  if (!marker) throw new Error("marker not inserted");
  await Promise.all(subscribers.map((subscriber) => subscriber.waitFor(marker, "INSERT", `the marker at ${subscriber.name}`)));
}

/** How long one probe may take to reach every subscriber, and how many probes before giving up. */
const PROBE_WAIT_MS = 2_000;
const PROBES = 5;

/**
 * SUBSCRIBED can come before changes flow to a rejoined channel (Supabase documents the same of
 * hosted Realtime, and a client that rejoins twice after a cut drops what was sent for its first
 * join): probe with markers until one reaches every subscriber, so "after the rejoin" means
 * "receiving again".
 */
async function untilDelivering(subscribers: FeedSubscriber[], authorId: string): Promise<void> {
  for (let probe = 1; ; probe++) {
    const [marker] = await insertMessages(sql, authorId, [unique("probe")]);
    if (!marker) throw new Error("probe not inserted");
    const everywhere = () => subscribers.every((subscriber) => subscriber.about(marker).length > 0);
    try {
      await waitUntil(everywhere, "a probe at every subscriber", PROBE_WAIT_MS);
      return;
    } catch (error) {
      if (probe === PROBES) throw error;
    }
  }
}

describe("live feed over the wire (app actions → Realtime → supabase-js subscribers)", () => {
  let author: FeedUser;
  let resender: FeedUser;
  let reader: FeedUser;
  let moderator: FeedUser;
  let subscribers: FeedSubscriber[] = [];
  let byName: Record<"author" | "resender" | "reader" | "moderator", FeedSubscriber>;

  beforeAll(async () => {
    [author, resender, reader, moderator] = await Promise.all([
      createFeedUser("wauth"),
      createFeedUser("wsend"),
      createFeedUser("wread"),
      createFeedUser("wmod", { moderator: true }),
    ]);
    // Everyone also tries the author's conversation with the resender: only those two may join.
    const conversation = conversationTopic(author.id, resender.id);
    subscribers = await Promise.all([author, resender, reader, moderator].map((user) => subscribeAs(user, [conversation])));
    const [a, s, r, m] = subscribers as [FeedSubscriber, FeedSubscriber, FeedSubscriber, FeedSubscriber];
    byName = { author: a, resender: s, reader: r, moderator: m };
  });

  afterAll(async () => {
    await Promise.all(subscribers.map((subscriber) => subscriber.close()));
    await sql.end();
  });

  it("a message sent through the app reaches every subscriber exactly once, with its row", async () => {
    const client = await httpClient(author);
    const id = randomUUID();
    const body = unique("to everyone");
    expect((await send(client, { id, body })).status).toBeLessThan(400);
    await settle(subscribers, author.id);
    for (const subscriber of subscribers) {
      expect(eventsFor(subscriber, id), subscriber.name).toEqual(["INSERT"]);
      expect(subscriber.about(id)[0]?.new).toMatchObject({
        id,
        author_id: author.id,
        recipient_id: null,
        is_announcement: false,
        body,
        edited_at: null,
        deleted_at: null,
      });
    }
  });

  it("an idempotent resend of the same uuid stores one row and emits one INSERT, nothing more", async () => {
    const client = await httpClient(resender);
    const id = randomUUID();
    const body = unique("sent once");
    for (let i = 0; i < 3; i++) expect((await send(client, { id, body })).status).toBeLessThan(400);
    const concurrent = await Promise.all([0, 1, 2].map(() => send(client, { id, body })));
    for (const response of concurrent) expect(response.status).toBeLessThan(400);
    // A retry carrying another text does not rewrite the stored message either.
    await send(client, { id, body: unique("changed my mind") });
    // Nor can another user take the id over.
    await send(await httpClient(reader), { id, body: unique("hijack") });

    await settle(subscribers, resender.id);
    const rows = await sql<{ body: string; author_id: string; edited: boolean }[]>`
      select body, author_id, edited_at is not null as edited from public.messages where id = ${id}`;
    expect(rows).toEqual([{ body, author_id: resender.id, edited: false }]);
    for (const subscriber of subscribers) {
      expect(eventsFor(subscriber, id), subscriber.name).toEqual(["INSERT"]);
      expect((subscriber.about(id)[0]?.new as Row).body).toBe(body);
    }
  });

  it("an edit through the app reaches every subscriber once, as an UPDATE with the new body", async () => {
    const client = await httpClient(author);
    const id = randomUUID();
    await send(client, { id, body: unique("draft") });
    await Promise.all(subscribers.map((subscriber) => subscriber.waitFor(id, "INSERT")));
    const edited = unique("final");
    expect((await client.submit(`/messages?edit=${id}`, "editMessage", { id, body: edited })).status).toBeLessThan(400);
    await settle(subscribers, author.id);
    for (const subscriber of subscribers) {
      expect(eventsFor(subscriber, id), subscriber.name).toEqual(["INSERT", "UPDATE"]);
      const update = subscriber.about(id)[1]?.new as Row;
      expect(update).toMatchObject({ id, body: edited, deleted_at: null });
      expect(update.edited_at).toEqual(expect.any(String));
    }
  });

  it("a deletion (moderator's or author's) reaches every subscriber as a tombstone UPDATE: the soft-delete trap", async () => {
    const client = await httpClient(author);
    const byModerator = randomUUID();
    const byAuthor = randomUUID();
    await send(client, { id: byModerator, body: unique("moderate me") });
    await send(client, { id: byAuthor, body: unique("I regret this") });
    await Promise.all(
      subscribers.flatMap((subscriber) => [subscriber.waitFor(byModerator, "INSERT"), subscriber.waitFor(byAuthor, "INSERT")]),
    );

    const mod = await httpClient(moderator);
    expect((await mod.submit("/moderation", "deleteMessage", { id: byModerator })).status).toBeLessThan(400);
    expect((await client.submit("/messages", "deleteMessage", { id: byAuthor })).status).toBeLessThan(400);
    await settle(subscribers, author.id);

    for (const id of [byModerator, byAuthor]) {
      const [row] = await sql<{ body: string; deleted: boolean }[]>`
        select body, deleted_at is not null as deleted from public.messages where id = ${id}`;
      expect(row).toEqual({ body: "", deleted: true });
      for (const subscriber of subscribers) {
        // Every open feed must be told, or it keeps showing the message.
        expect(eventsFor(subscriber, id), `${subscriber.name} about ${id}`).toEqual(["INSERT", "UPDATE"]);
        expect(subscriber.about(id)[1]?.new).toMatchObject({ id, body: "", deleted_at: expect.any(String) });
      }
    }
  });

  it("a direct message reaches its two participants only; an announcement reaches everyone, flagged", async () => {
    const client = await httpClient(author);
    const dm = randomUUID();
    const secret = unique("psst");
    expect((await send(client, { id: dm, body: secret, to: resender.username })).status).toBeLessThan(400);
    const announcement = randomUUID();
    const mod = await httpClient(moderator);
    expect((await send(mod, { id: announcement, body: unique("heads up"), announcement: "on" })).status).toBeLessThan(400);
    await settle(subscribers, author.id);

    expect(eventsFor(byName.author, dm)).toEqual(["INSERT"]);
    expect(eventsFor(byName.resender, dm)).toEqual(["INSERT"]);
    expect(byName.resender.about(dm)[0]?.new).toMatchObject({ body: secret, recipient_id: expect.any(String) });
    // Moderators included: a direct message is private to its participants, and the policies
    // refuse the others the conversation's topic.
    expect([byName.author.refused, byName.resender.refused]).toEqual([[], []]);
    expect([byName.reader.refused, byName.moderator.refused]).toEqual([
      [conversationTopic(author.id, resender.id)],
      [conversationTopic(author.id, resender.id)],
    ]);
    expect(eventsFor(byName.reader, dm)).toEqual([]);
    expect(eventsFor(byName.moderator, dm)).toEqual([]);
    for (const outsider of [byName.reader, byName.moderator]) expect(JSON.stringify(outsider.changes)).not.toContain(secret);
    for (const subscriber of subscribers) {
      expect(eventsFor(subscriber, announcement), subscriber.name).toEqual(["INSERT"]);
      expect(subscriber.about(announcement)[0]?.new).toMatchObject({ is_announcement: true, recipient_id: null });
    }
  });

  it("after a network cut every subscriber resubscribes and gets each of 20 later messages exactly once, in commit order", async () => {
    const subscribedBefore = subscribers.map((subscriber) => subscriber.statuses.filter((s) => s === "SUBSCRIBED").length);
    expect(await dropRealtimeSockets()).toBeGreaterThanOrEqual(subscribers.length);
    await waitUntil(
      () =>
        subscribers.every(
          (subscriber, i) => subscriber.statuses.filter((s) => s === "SUBSCRIBED").length > (subscribedBefore[i] ?? 0),
        ),
      "every subscriber to resubscribe",
    );
    await untilDelivering(subscribers, resender.id);
    const before = subscribers.map((subscriber) => subscriber.changes.length);
    const ids = await insertMessages(
      sql,
      resender.id,
      Array.from({ length: 20 }, (_, i) => unique(`after the cut ${i + 1}`)),
    );
    await Promise.all(subscribers.map((subscriber) => subscriber.waitFor(ids.at(-1) as string, "INSERT")));
    await settle(subscribers, resender.id);
    const commitOrder = (await feedOrder(sql, ids)).reverse();
    expect(commitOrder).toEqual(ids);
    subscribers.forEach((subscriber, i) => {
      const received = subscriber.changes
        .slice(before[i])
        .filter((change: Change) => ids.includes(String((change.new as Row).id)));
      // Once each (a rejoin must not double the bindings), in commit order.
      expect(
        received.map((change) => (change.new as Row).id),
        subscriber.name,
      ).toEqual(ids);
      expect(received.every((change) => change.eventType === "INSERT")).toBe(true);
    });
  });
});
