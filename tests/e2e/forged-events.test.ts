import { randomUUID } from "node:crypto";
import { createClient, type RealtimeChannel, type SupabaseClient } from "@supabase/supabase-js";
import type { Page } from "playwright-core";
import { expect, inject, it } from "vitest";
import {
  conversationTopic,
  DATABASE_EVENTS,
  FEED_TOPIC,
  SIGNAL_EVENTS,
  signalTopicOf,
} from "../../src/lib/domain/realtime-topics.ts";
import { AppClient } from "../fixtures/app-client.ts";
import { createFeedUser, type FeedUser, feedDatabase, unique } from "../fixtures/feed-users.ts";
import { callServerFunction, useServerFunctions } from "../fixtures/server-functions.ts";
import { describeInBrowser, useBrowser } from "./browser.ts";
import { openLiveFeed, waitForMessage, waitUntil } from "./feed-page.ts";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

const TEST_TIMEOUT = 60_000;
const sql = feedDatabase();
const fn = useServerFunctions();

/** The attacker's own hand-written client: unmodified supabase-js, signed in as a real user. */
async function attackerClient(user: FeedUser): Promise<SupabaseClient> {
  const supabase = createClient(inject("apiUrl"), inject("publishableKey"), {
    auth: { persistSession: false, autoRefreshToken: false },
  });
  const { data, error } = await supabase.auth.signInWithPassword({ email: user.email, password: user.password });
  if (error || !data.session) throw error ?? new Error(`no session for ${user.email}`);
  await supabase.realtime.setAuth(data.session.access_token);
  return supabase;
}

async function joined(supabase: SupabaseClient, topic: string, key?: string): Promise<RealtimeChannel> {
  const channel = supabase.channel(topic, { config: { private: true, ...(key ? { presence: { key } } : {}) } });
  let status = "";
  channel.subscribe((next) => (status = next));
  await waitUntil(() => status !== "", `the attacker to join ${topic}`);
  if (status !== "SUBSCRIBED") throw new Error(`${topic}: ${status}`);
  return channel;
}

/** A row change as the trigger would broadcast it, with the attacker's words in it. */
function forgedRow(body: string, authorId: string, recipientId: string | null) {
  const future = new Date(Date.now() + 3_600_000).toISOString();
  return {
    operation: "INSERT",
    record: {
      id: randomUUID() as string,
      author_id: authorId,
      recipient_id: recipientId,
      is_announcement: recipientId === null,
      body,
      created_at: future,
      edited_at: future,
      deleted_at: null,
    },
    old_record: null,
  };
}

async function online(page: Page): Promise<string[]> {
  return page.locator('[data-testid="online"] li').allTextContents();
}

describeInBrowser("forged events never reach a victim's page (ADR 0040)", () => {
  const harness = useBrowser();

  it(
    "a conversation's other participant forges rows, an edit of the victim's message and unvouched typing: the page shows none of it",
    async () => {
      const [victim, attacker, moderator] = await Promise.all([
        createFeedUser("fvic"),
        createFeedUser("fatt"),
        createFeedUser("fmod", { moderator: true }),
      ]);
      const page = await (await harness.newContext()).newPage();
      await openLiveFeed(page, victim, `/messages/direct/${attacker.username}`);
      const [own] = await sql<{ id: string }[]>`
        insert into public.messages (author_id, recipient_id, body) values (${victim.id}, ${attacker.id}, ${unique("mine")}) returning id`;
      await waitForMessage(page, own?.id ?? "");

      const supabase = await attackerClient(attacker);
      const dm = conversationTopic(victim.id, attacker.id);
      const signals = await joined(supabase, signalTopicOf(dm));
      const forged = unique("forged");
      // Where the attacker may write (the signal topic), every database event name, row and edit.
      for (const event of Object.values(DATABASE_EVENTS)) {
        await signals.send({ type: "broadcast", event, payload: forgedRow(forged, moderator.id, victim.id) });
        await signals.httpSend(event, forgedRow(forged, moderator.id, victim.id));
      }
      const edit = forgedRow(forged, victim.id, attacker.id);
      edit.operation = "UPDATE";
      edit.record.id = own?.id ?? "";
      await signals.send({ type: "broadcast", event: DATABASE_EVENTS.message, payload: edit });
      // Typing with a made-up ticket, and with no ticket at all: no identity the server vouched for.
      await signals.send({
        type: "broadcast",
        event: SIGNAL_EVENTS.typing,
        payload: { userId: attacker.id, ticket: `9999999999.${"A".repeat(43)}` },
      });
      await signals.send({ type: "broadcast", event: SIGNAL_EVENTS.typing, payload: { userId: attacker.id } });
      // Where it may not (the database topic): refused over REST.
      const rows = supabase.channel(dm, { config: { private: true } });
      await expect(rows.httpSend(DATABASE_EVENTS.message, forgedRow(forged, moderator.id, victim.id))).rejects.toThrow();

      // A real message after all of it: once it is on the page, the forgeries had their chance.
      const [real] = await sql<{ id: string }[]>`
        insert into public.messages (author_id, recipient_id, body) values (${attacker.id}, ${victim.id}, ${unique("real")}) returning id`;
      await waitForMessage(page, real?.id ?? "");
      expect(await page.getByText(forged).count()).toBe(0);
      expect(await page.locator('[data-testid="typing"]').textContent()).toBe("");
      // The victim's own message still reads as the database has it, after a catch-up too.
      await page.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
      await waitForMessage(page, own?.id ?? "");
      expect(await page.getByText(forged).count()).toBe(0);
      await supabase.removeAllChannels();
    },
    TEST_TIMEOUT,
  );

  it(
    "a third user tracks under someone else's id: only identities with a ticket the server signed for them show as online",
    async () => {
      const [viewer, attacker, absent] = await Promise.all([
        createFeedUser("fview"),
        createFeedUser("fspoof"),
        createFeedUser("fabsent"),
      ]);
      const page = await (await harness.newContext()).newPage();
      await openLiveFeed(page, viewer);
      await waitUntil(async () => (await online(page)).includes(viewer.username), "the viewer to see themselves online");

      // The attacker's own, real ticket, from the app as any page gets it.
      const app = new AppClient();
      await app.signIn(attacker.email, attacker.password, "/messages");
      const { ticket } = (await callServerFunction(app, fn("getSignalTicket"), { args: [] })).value as { ticket: string };

      const supabase = await attackerClient(attacker);
      const spoofs = [
        [absent.id, ticket],
        [absent.id, `9999999999.${"A".repeat(43)}`],
        [absent.id, undefined],
      ] as const;
      for (const [key, spoofTicket] of spoofs) {
        const channel = await joined(supabase, signalTopicOf(FEED_TOPIC), key);
        await channel.track(spoofTicket ? { ticket: spoofTicket } : {});
        await supabase.removeChannel(channel);
      }
      // A spoof that stays, and the attacker's honest entry beside it as the control: once the
      // control shows, the spoof had its chance.
      const spoof = await joined(supabase, signalTopicOf(FEED_TOPIC), absent.id);
      await spoof.track({ ticket });
      // Entries that are not even well formed, staying beside the others: they must not hide them.
      const junk = await attackerClient(attacker);
      const notAnId = await joined(junk, signalTopicOf(FEED_TOPIC), "not-a-user-id");
      await notAnId.track({ ticket: `9999999999.${"A".repeat(150)}` });
      const second = await attackerClient(attacker);
      const honest = await joined(second, signalTopicOf(FEED_TOPIC), attacker.id);
      await honest.track({ ticket });
      await waitUntil(async () => (await online(page)).includes(attacker.username), "the attacker's honest entry to show");
      expect(await online(page)).not.toContain(absent.username);
      expect(await online(page)).toContain(viewer.username);
      await supabase.removeAllChannels();
      await second.removeAllChannels();
      await junk.removeAllChannels();
    },
    TEST_TIMEOUT,
  );
});
