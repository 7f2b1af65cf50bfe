import { randomUUID } from "node:crypto";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, expect, it } from "vitest";
import { AppClient } from "../fixtures/app-client.ts";
import {
  createFeedUser,
  dropRealtimeSockets,
  feedDatabase,
  feedOrder,
  type FeedUser,
  insertMessages,
  unique,
} from "../fixtures/feed-users.ts";
import { describeInBrowser, useBrowser } from "./browser.ts";
import {
  changeFramesMentioning,
  changeFramesOnceArrived,
  messageItem,
  openLiveFeed,
  readWatch,
  realtimeSockets,
  sendFromPage,
  shownIds,
  type TrackedSocket,
  trackSockets,
  waitForHydration,
  waitForMessage,
  waitForTombstone,
  waitForState,
  waitUntil,
  WAIT_MS,
  watchFeeds,
} from "./feed-page.ts";

const sql = feedDatabase();
afterAll(() => sql.end());

/** Several contexts sign in per test: more than the project's default 30 s. */
const TEST_TIMEOUT = 60_000;

/** Marks the current document: the mark is lost on any reload or full navigation. */
async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => Object.assign(window, { __feedDocument: true }));
}

async function isSameDocument(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { __feedDocument?: boolean }).__feedDocument === true);
}

/** How many elements carry this id right now, and the most ever seen at once in this document. */
async function counts(page: Page, id: string): Promise<{ now: number; max: number }> {
  const now = await page.locator(`[data-message-id="${id}"]`).count();
  return { now, max: (await readWatch(page)).maxCount[id] ?? 0 };
}

/** The user's own HTTP client (no JavaScript: plain form posts to the app's actions). */
async function httpClient(user: FeedUser): Promise<AppClient> {
  const client = new AppClient();
  await client.signIn(user.email, user.password, "/messages");
  return client;
}

/** Sends through the app's sendMessage action as a form post; returns the message id. */
async function sendOverHttp(client: AppClient, fields: { body: string; to?: string; announcement?: "on" }): Promise<string> {
  const id = randomUUID();
  const page = fields.to ? `/messages/direct/${fields.to}` : "/messages";
  const response = await client.submit(page, "sendMessage", { id, ...fields });
  expect(response.status).toBeLessThan(400);
  const rows = await sql`select 1 from public.messages where id = ${id}`;
  expect(rows.length, `message ${id} was not stored`).toBe(1);
  return id;
}

/**
 * Submits the page's send form from script (`requestSubmit`). A real click is what users do and is
 * tested on its own; this isolates the optimistic-copy/echo merge from how the form is clicked.
 */
async function requestSubmitFromPage(page: Page, body: string): Promise<string> {
  const form = page.locator("form.send-form");
  const id = await form.locator('input[name="id"]').inputValue();
  await form.locator('textarea[name="body"]').fill(body);
  await form.evaluate((element: HTMLFormElement) => element.requestSubmit());
  return id;
}

describeInBrowser("live message feed in a real browser", () => {
  const harness = useBrowser();

  /** A context of its own for `user`, watching `path` live, with its sockets tracked from the start. */
  async function watcher(
    user: FeedUser,
    path = "/messages",
  ): Promise<{ context: BrowserContext; page: Page; sockets: TrackedSocket[] }> {
    const context = await harness.newContext();
    await watchFeeds(context);
    const page = await context.newPage();
    const sockets = trackSockets(page);
    await openLiveFeed(page, user, path);
    await markDocument(page);
    return { context, page, sockets };
  }

  it(
    "one user sends with the form (a real click), the other sees it without a reload; optimistic copy and echo never show twice",
    async () => {
      const [sender, reader] = await Promise.all([createFeedUser("fsend"), createFeedUser("fread")]);
      const a = await watcher(sender);
      const b = await watcher(reader);

      const body = unique("hello from the sender");
      const id = await sendFromPage(a.page, body);
      await waitForMessage(a.page, id, body);
      await waitForMessage(b.page, id, body);
      expect(await messageItem(b.page, id).locator(".author").textContent()).toBe(sender.username);

      // A second message right behind the first: both land once, newest at the bottom, on both pages.
      const second = unique("and again");
      const secondId = await sendFromPage(a.page, second);
      await waitForMessage(a.page, secondId, second);
      await waitForMessage(b.page, secondId, second);
      for (const page of [a.page, b.page]) {
        expect(await isSameDocument(page)).toBe(true);
        const ids = await shownIds(page);
        expect(ids.slice(-2)).toEqual([id, secondId]);
        expect(await counts(page, id)).toEqual({ now: 1, max: 1 });
        expect(await counts(page, secondId)).toEqual({ now: 1, max: 1 });
        expect(await page.locator("li.message.pending").count()).toBe(0);
      }
      // Over the wire too: each page's socket carried each INSERT exactly once.
      for (const { sockets } of [a, b]) {
        expect(await changeFramesOnceArrived(sockets, id)).toBe(1);
        expect(await changeFramesOnceArrived(sockets, secondId)).toBe(1);
      }
      const rows = await sql`select count(*)::int as n from public.messages where id in (${id}, ${secondId})`;
      expect(rows[0]?.n).toBe(2);
    },
    TEST_TIMEOUT,
  );

  it(
    "the optimistic copy and the Realtime echo share one element (public feed and a conversation)",
    async () => {
      const [sender, reader] = await Promise.all([createFeedUser("fopt"), createFeedUser("foptr")]);
      const a = await watcher(sender);
      const b = await watcher(reader, `/messages/direct/${sender.username}`);
      const body = unique("optimistic");
      const id = await requestSubmitFromPage(a.page, body);
      await waitForMessage(a.page, id, body);
      expect(await counts(a.page, id)).toEqual({ now: 1, max: 1 });
      expect(await changeFramesOnceArrived(a.sockets, id)).toBe(1);

      const conversation = await a.context.newPage();
      await conversation.goto(`/messages/direct/${reader.username}`);
      await waitForHydration(conversation);
      await waitForState(conversation, "live");
      const secret = unique("optimistic direct");
      const directId = await requestSubmitFromPage(conversation, secret);
      await waitForMessage(conversation, directId, secret);
      await waitForMessage(b.page, directId, secret);
      expect(await counts(conversation, directId)).toEqual({ now: 1, max: 1 });
      expect(await counts(b.page, directId)).toEqual({ now: 1, max: 1 });
      expect(await conversation.locator("li.message.pending").count()).toBe(0);
      // The public feed tab of the same user does not show the direct message.
      expect(await a.page.locator(`[data-message-id="${directId}"]`).count()).toBe(0);
    },
    TEST_TIMEOUT,
  );

  it(
    "an edit by the author appears live in the other feed",
    async () => {
      const [author, reader] = await Promise.all([createFeedUser("fedit"), createFeedUser("fread")]);
      const a = await watcher(author);
      const b = await watcher(reader);
      const id = await sendOverHttp(await httpClient(author), { body: unique("first draft") });
      await Promise.all([waitForMessage(a.page, id), waitForMessage(b.page, id)]);

      const edited = unique("second draft");
      const item = messageItem(a.page, id);
      await item.getByRole("link", { name: "Edit" }).click();
      // The editor is its own chunk: it takes focus once it has loaded.
      await waitUntil(
        () => a.page.evaluate(() => document.activeElement?.getAttribute("name") === "body"),
        "the editor's box to have focus",
      );
      await item.locator('form.edit textarea[name="body"]').fill(edited);
      await item.locator("form.edit").getByRole("button", { name: "Save" }).click();

      await waitForMessage(b.page, id, edited);
      expect(await messageItem(b.page, id).locator(".meta").textContent()).toContain("edited");
      await waitForMessage(a.page, id, edited);
      // Saved: the editor closes in place and focus goes to the feed; Escape cancels another edit
      // and gives focus back to that message's Edit link.
      await item.locator("form.edit").waitFor({ state: "detached" });
      expect(await a.page.evaluate(() => document.activeElement?.getAttribute("data-testid"))).toBe("feed-scroll");
      await item.getByRole("link", { name: "Edit" }).click();
      await waitUntil(
        () => a.page.evaluate(() => document.activeElement?.getAttribute("name") === "body"),
        "the editor's box to have focus again",
      );
      await a.page.keyboard.press("Escape");
      await item.locator("form.edit").waitFor({ state: "detached" });
      expect(await a.page.evaluate(() => document.activeElement?.textContent)).toBe("Edit");
      for (const page of [a.page, b.page]) {
        expect(await isSameDocument(page)).toBe(true);
        expect(await counts(page, id)).toEqual({ now: 1, max: 1 });
      }
    },
    TEST_TIMEOUT,
  );

  it(
    "a moderator's deletion turns the message into a tombstone in every open feed (the tombstone UPDATE reaches them all)",
    async () => {
      const [author, reader, moderator] = await Promise.all([
        createFeedUser("fauth"),
        createFeedUser("fread"),
        createFeedUser("fmod", { moderator: true }),
      ]);
      const a = await watcher(author);
      const b = await watcher(reader);
      const m = await watcher(moderator, "/moderation");

      const body = unique("please remove me");
      const id = await sendOverHttp(await httpClient(author), { body });
      await Promise.all([waitForMessage(a.page, id, body), waitForMessage(b.page, id, body), waitForMessage(m.page, id, body)]);

      await messageItem(m.page, id).getByRole("button", { name: "Delete" }).click();
      await Promise.all([waitForTombstone(a.page, id), waitForTombstone(b.page, id), waitForTombstone(m.page, id)]);
      for (const page of [a.page, b.page, m.page]) {
        expect(await isSameDocument(page)).toBe(true);
        expect(await page.getByText(body).count()).toBe(0);
        expect(await counts(page, id)).toEqual({ now: 1, max: 1 });
        expect(await messageItem(page, id).getByRole("button", { name: "Delete" }).count()).toBe(0);
      }
      const [row] = await sql<{ body: string; deleted: boolean }[]>`
        select body, deleted_at is not null as deleted from public.messages where id = ${id}`;
      expect(row).toEqual({ body: "", deleted: true });
    },
    TEST_TIMEOUT,
  );

  it(
    "an announcement posted by a moderator appears live, marked as an announcement",
    async () => {
      const [moderator, reader] = await Promise.all([createFeedUser("fmod", { moderator: true }), createFeedUser("fread")]);
      const m = await watcher(moderator);
      const b = await watcher(reader);
      const body = unique("maintenance tonight");
      const id = await sendOverHttp(await httpClient(moderator), { body, announcement: "on" });
      await waitForMessage(b.page, id, body);
      const item = messageItem(b.page, id);
      expect(await item.getAttribute("class")).toMatch(/\bannouncement\b/);
      expect(await item.locator(".badge").textContent()).toBe("Announcement");
      await waitForMessage(m.page, id, body);
      expect(await messageItem(m.page, id).getAttribute("class")).toMatch(/\bannouncement\b/);
      expect(await isSameDocument(b.page)).toBe(true);
      expect(await counts(m.page, id)).toEqual({ now: 1, max: 1 });
    },
    TEST_TIMEOUT,
  );

  it(
    "a direct message appears live in the recipient's conversation, and nowhere in a third user's pages",
    async () => {
      const [sender, recipient, third] = await Promise.all([
        createFeedUser("fdms"),
        createFeedUser("fdmr"),
        createFeedUser("fdmt"),
      ]);
      const a = await watcher(sender, `/messages/direct/${recipient.username}`);
      const b = await watcher(recipient, `/messages/direct/${sender.username}`);
      // The third user watches the public feed and their own conversation with the sender.
      const cContext = await harness.newContext();
      await watchFeeds(cContext);
      const cFeed = await cContext.newPage();
      const cFeedSockets = trackSockets(cFeed);
      await openLiveFeed(cFeed, third, "/messages");
      const cDirect = await cContext.newPage();
      const cDirectSockets = trackSockets(cDirect);
      await cDirect.goto(`/messages/direct/${sender.username}`);
      await waitForHydration(cDirect);
      await waitForState(cDirect, "live");

      const secret = unique("just between us");
      const id = await sendOverHttp(await httpClient(sender), { body: secret, to: recipient.username });
      await waitForMessage(b.page, id, secret);
      await waitForMessage(a.page, id, secret);
      expect(await isSameDocument(b.page)).toBe(true);
      expect(await counts(a.page, id)).toEqual({ now: 1, max: 1 });
      expect(await counts(b.page, id)).toEqual({ now: 1, max: 1 });

      // Markers sent after the DM (Realtime delivers in commit order): once they are shown, the DM
      // had every chance to show up in the third user's pages.
      const [publicMarker] = await insertMessages(sql, sender.id, [unique("public marker")]);
      const [directMarker] = await sql<{ id: string }[]>`
        insert into public.messages (author_id, recipient_id, body)
        values (${sender.id}, ${third.id}, ${unique("direct marker")}) returning id`;
      if (!publicMarker || !directMarker) throw new Error("marker not inserted");
      await waitForMessage(cFeed, publicMarker);
      await waitForMessage(cDirect, directMarker.id);

      for (const page of [cFeed, cDirect]) {
        expect(await page.locator(`[data-message-id="${id}"]`).count()).toBe(0);
        expect(await page.getByText(secret).count()).toBe(0);
        expect((await readWatch(page)).maxCount[id]).toBeUndefined();
      }
      // Not even over the wire: the third user's sockets never carried it.
      expect(realtimeSockets([...cFeedSockets, ...cDirectSockets]).length).toBeGreaterThan(0);
      expect(changeFramesMentioning([...cFeedSockets, ...cDirectSockets], id)).toEqual([]);
      expect(changeFramesMentioning([...cFeedSockets, ...cDirectSockets], directMarker.id).length).toBeGreaterThan(0);
      // The public feed never shows a direct message, not even the recipient's own.
      const bFeed = await b.context.newPage();
      await bFeed.goto("/messages");
      await waitForState(bFeed, "live");
      expect(await bFeed.locator(`[data-message-id="${id}"]`).count()).toBe(0);
    },
    TEST_TIMEOUT,
  );

  it(
    "killing the socket shows 'reconnecting', then recovers with no gap: 20 messages, an edit and a deletion made meanwhile all apply once, in order",
    async () => {
      const [watcherUser, writer] = await Promise.all([createFeedUser("fgap"), createFeedUser("fgapw")]);
      const context = await harness.newContext();
      await watchFeeds(context);
      const page = await context.newPage();
      const sockets = trackSockets(page);
      await openLiveFeed(page, watcherUser);
      await markDocument(page);
      // Two messages the watcher sees live; one is edited, one deleted while disconnected.
      const [toEdit, toDelete] = await insertMessages(sql, writer.id, [unique("will be edited"), unique("will be deleted")]);
      if (!toEdit || !toDelete) throw new Error("insert failed");
      await waitForMessage(page, toEdit);
      await waitForMessage(page, toDelete);

      expect(await dropRealtimeSockets()).toBeGreaterThan(0);
      const bodies = Array.from({ length: 20 }, (_, i) => unique(`missed ${String(i + 1).padStart(2, "0")}`));
      const missed = await insertMessages(sql, writer.id, bodies);
      const editedBody = unique("edited while away");
      await sql`update public.messages set body = ${editedBody} where id = ${toEdit}`;
      await sql`update public.messages set deleted_at = now() where id = ${toDelete}`;

      await waitUntil(async () => (await readWatch(page)).states.includes("reconnecting"), "the badge to show reconnecting");
      await waitUntil(async () => (await readWatch(page)).states.at(-1) === "live", "the badge to show live again");
      for (const id of missed) await waitForMessage(page, id);
      await waitForMessage(page, toEdit, editedBody);
      await waitForTombstone(page, toDelete);

      // Newest at the bottom: the reverse of the feed's newest-first order.
      const expected = (await feedOrder(sql, missed)).reverse();
      const shown = await shownIds(page);
      expect(shown.slice(-20)).toEqual(expected);
      for (const id of [...missed, toEdit]) expect(await counts(page, id)).toEqual({ now: 1, max: 1 });
      expect(await isSameDocument(page)).toBe(true);
      const states = (await readWatch(page)).states;
      expect(states.slice(states.indexOf("reconnecting"))).toContain("live");
      // They came through the catch-up, not over a socket: the gap was real.
      expect(realtimeSockets(sockets).length).toBeGreaterThanOrEqual(1);
      for (const id of missed) expect(changeFramesMentioning(sockets, id)).toEqual([]);

      // And the new socket delivers live again.
      const [after] = await insertMessages(sql, writer.id, [unique("after the cut")]);
      if (!after) throw new Error("insert failed");
      await waitForMessage(page, after);
      expect(await changeFramesOnceArrived(sockets, after)).toBe(1);
      expect((await shownIds(page)).at(-1)).toBe(after);
    },
    TEST_TIMEOUT,
  );

  it(
    "no gap for a message that commits while disconnected with an earlier created_at than one already shown",
    async () => {
      const [watcherUser, writer] = await Promise.all([createFeedUser("flate"), createFeedUser("flatew")]);
      const context = await harness.newContext();
      await watchFeeds(context);
      const page = await context.newPage();
      await openLiveFeed(page, watcherUser);

      // X's transaction starts first (created_at = now() = transaction start) but commits last:
      // the order concurrent sends commit in under load.
      const slow = await sql.reserve();
      try {
        await slow`begin`;
        const [late] = await slow<{ id: string }[]>`
          insert into public.messages (author_id, body) values (${writer.id}, ${unique("slow commit")}) returning id`;
        if (!late) throw new Error("insert failed");
        const [early] = await insertMessages(sql, writer.id, [unique("fast commit")]);
        if (!early) throw new Error("insert failed");
        await waitForMessage(page, early);

        expect(await dropRealtimeSockets()).toBeGreaterThan(0);
        await slow`commit`;
        await waitUntil(async () => (await readWatch(page)).states.includes("reconnecting"), "the badge to show reconnecting");
        await waitUntil(async () => (await readWatch(page)).states.at(-1) === "live", "the badge to show live again");
        // The catch-up after the resubscription must bring X, whatever its created_at (a reload
        // shows it: only the live page misses it).
        await waitForMessage(page, late.id).catch((error: unknown) => {
          throw new Error(
            "a message committed while the socket was down, with a created_at older than the newest message " +
              "already shown, never appeared: the reconnect catch-up only asks for rows newer than that message",
            { cause: error },
          );
        });
        // Its created_at is the earlier one: it is shown above the message that committed first.
        expect((await shownIds(page)).indexOf(late.id)).toBeLessThan((await shownIds(page)).indexOf(early));
      } finally {
        await slow`rollback`.catch(() => undefined);
        slow.release();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    "after sign-out the pages tear down their Realtime sockets (the signing-out tab and the other open tab)",
    async () => {
      const user = await createFeedUser("fout");
      const context = await harness.newContext();
      await watchFeeds(context);
      const first = await context.newPage();
      const firstSockets = trackSockets(first);
      await openLiveFeed(first, user);
      const second = await context.newPage();
      const secondSockets = trackSockets(second);
      await second.goto("/messages");
      await waitForHydration(second);
      await waitForState(second, "live");
      expect(realtimeSockets(firstSockets).some((socket) => !socket.closed)).toBe(true);
      expect(realtimeSockets(secondSockets).some((socket) => !socket.closed)).toBe(true);

      // Sign out from the second tab, reaching /logout through the nav link (client-side).
      await second.getByRole("navigation").getByRole("link", { name: "Sign out" }).click();
      await second.waitForURL((url) => url.pathname === "/logout");
      await second.getByRole("button", { name: "Sign out on this device" }).click();
      await second.waitForURL((url) => url.pathname === "/login", { timeout: WAIT_MS });
      // The other tab hears of it and leaves the feed.
      await first.waitForURL((url) => url.pathname === "/login", { timeout: WAIT_MS });

      await waitUntil(
        () => realtimeSockets([...firstSockets, ...secondSockets]).every((socket) => socket.closed),
        "every Realtime socket of the signed-out user to close",
      );
      // Nothing reaches the signed-out pages any more: a message another feed gets live is not
      // received by them.
      const received = [...firstSockets, ...secondSockets].map((socket) => socket.received.length);
      const observer = await (await harness.newContext()).newPage();
      await openLiveFeed(observer, await createFeedUser("fobs"));
      const [marker] = await insertMessages(sql, user.id, [unique("after sign-out")]);
      if (!marker) throw new Error("insert failed");
      await waitForMessage(observer, marker);
      expect([...firstSockets, ...secondSockets].map((socket) => socket.received.length)).toEqual(received);
      expect(realtimeSockets([...firstSockets, ...secondSockets]).every((socket) => socket.closed)).toBe(true);
    },
    TEST_TIMEOUT,
  );
});
