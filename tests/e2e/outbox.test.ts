import type { Page } from "playwright-core";
import { afterAll, expect, it } from "vitest";
import { createFeedUser, feedDatabase, unique } from "../fixtures/feed-users.ts";
import { describeInBrowser, useBrowser } from "./browser.ts";
import {
  messageItem,
  openLiveFeed,
  sendFromPage,
  shownIds,
  signInAt,
  waitForHydration,
  waitForMessage,
  waitForState,
  WAIT_MS,
} from "./feed-page.ts";

const sql = feedDatabase();
afterAll(() => sql.end());

const TEST_TIMEOUT = 60_000;

/** How many rows each id has in the database, and the ids in the order the server stored them. */
async function stored(ids: string[]): Promise<{ counts: number[]; order: string[] }> {
  const rows = await sql<{ id: string }[]>`
    select id from public.messages where id = any(${ids}::uuid[]) order by created_at, id`;
  return { counts: ids.map((id) => rows.filter((row) => row.id === id).length), order: rows.map((row) => row.id) };
}

async function outboxStatus(page: Page): Promise<{ text: string; waiting: string | null }> {
  const status = page.getByTestId("outbox-status");
  return { text: (await status.textContent()) ?? "", waiting: await status.getAttribute("data-waiting") };
}

describeInBrowser("the outbox: sends that survive the network and a reload", () => {
  const harness = useBrowser();

  it(
    "messages written offline wait in IndexedDB across a reload and are sent once each, in order, when back online",
    async () => {
      const user = await createFeedUser("obox");
      const context = await harness.newContext();
      const page = await context.newPage();
      await openLiveFeed(page, user);

      await context.setOffline(true);
      await waitForState(page, "offline");
      const bodies = [unique("offline one"), unique("offline two"), unique("offline three")];
      const ids: string[] = [];
      for (const body of bodies) ids.push(await sendFromPage(page, body));
      for (const id of ids) {
        await messageItem(page, id).and(page.locator('[data-status="waiting"]')).waitFor({ timeout: WAIT_MS });
      }
      expect(await outboxStatus(page)).toEqual({
        text: "You are offline. 3 messages wait to be sent when the connection is back.",
        waiting: "3",
      });
      expect((await stored(ids)).counts).toEqual([0, 0, 0]);

      // The tab goes away while offline; it is opened again once the network is back.
      await page.close();
      expect((await stored(ids)).counts).toEqual([0, 0, 0]);
      await context.setOffline(false);
      const again = await context.newPage();
      await again.goto("/messages");
      await waitForHydration(again);
      for (const [i, id] of ids.entries()) await waitForMessage(again, id, bodies[i]);

      const result = await stored(ids);
      expect(result.counts).toEqual([1, 1, 1]);
      expect(result.order).toEqual(ids);
      expect((await shownIds(again)).slice(-3)).toEqual(ids);
      expect(await again.locator("li.message.pending").count()).toBe(0);
      expect((await outboxStatus(again)).waiting).toBe("0");

      // Nothing is left to send: another reload sends nothing again.
      await again.reload();
      await waitForHydration(again);
      await waitForState(again, "live");
      expect(await again.locator("li.message.pending").count()).toBe(0);
      expect((await stored(ids)).counts).toEqual([1, 1, 1]);
      const left = await again.evaluate(
        () =>
          new Promise<number>((resolve, reject) => {
            const open = indexedDB.open("messages-outbox");
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
              const count = open.result.transaction("messages").objectStore("messages").count();
              count.onsuccess = () => resolve(count.result);
              count.onerror = () => reject(count.error);
            };
          }),
      );
      expect(left).toBe(0);
    },
    TEST_TIMEOUT,
  );

  it(
    "what one user left in the outbox is never sent by another who signs in on that browser; its author's next visit sends it",
    async () => {
      const [ann, ben] = await Promise.all([createFeedUser("oann"), createFeedUser("oben")]);
      const context = await harness.newContext();
      const page = await context.newPage();
      await openLiveFeed(page, ann);
      await context.setOffline(true);
      await waitForState(page, "offline");
      const annBody = unique("ann wrote this offline");
      const annId = await sendFromPage(page, annBody);
      await messageItem(page, annId).and(page.locator('[data-status="waiting"]')).waitFor({ timeout: WAIT_MS });
      await page.close();
      await context.setOffline(false);

      const tab = await context.newPage();
      const signOut = async () => {
        await tab.goto("/logout");
        await waitForHydration(tab);
        await tab.getByRole("button", { name: "Sign out on this device" }).click();
        await tab.waitForURL((url) => url.pathname === "/login", { timeout: WAIT_MS });
      };
      await signOut();
      await signInAt(tab, ben.email, ben.password, "/messages");
      await waitForState(tab, "live");
      // Ben's own message goes out; a message of Ann's would have been sent before it.
      const benId = await sendFromPage(tab, unique("ben's own"));
      await waitForMessage(tab, benId);
      expect(await tab.locator(`[data-message-id="${annId}"]`).count()).toBe(0);
      expect((await stored([annId, benId])).counts).toEqual([0, 1]);

      await signOut();
      await signInAt(tab, ann.email, ann.password, "/messages");
      await waitForMessage(tab, annId, annBody);
      expect((await stored([annId])).counts).toEqual([1]);
    },
    TEST_TIMEOUT,
  );

  it(
    "a send the network drops shows 'Not sent' with Retry; Retry sends it, once",
    async () => {
      const user = await createFeedUser("oretry");
      const context = await harness.newContext();
      const page = await context.newPage();
      await openLiveFeed(page, user);
      const body = unique("dropped on the way");
      let dropped = 0;
      // The connection is cut under the first request that carries this message (the browser
      // stays online): the page cannot know whether the server got it.
      await page.route("**/_server**", async (route) => {
        const request = route.request();
        if (dropped === 0 && request.method() === "POST" && (request.postData() ?? "").includes(body)) {
          dropped++;
          return route.abort("connectionreset");
        }
        return route.continue();
      });

      const id = await sendFromPage(page, body);
      const item = messageItem(page, id);
      await item.locator('.status[data-status="failed"]').waitFor({ timeout: WAIT_MS });
      expect(await item.locator(".status").textContent()).toContain("Not sent");
      expect(dropped).toBe(1);
      expect((await stored([id])).counts).toEqual([0]);

      await item.getByRole("button", { name: "Retry" }).click();
      await waitForMessage(page, id, body);
      expect((await stored([id])).counts).toEqual([1]);
      expect(await page.locator("li.message.pending").count()).toBe(0);
    },
    TEST_TIMEOUT,
  );

  it(
    "without JavaScript the send form still posts and the message is shown",
    async () => {
      const user = await createFeedUser("onojs");
      const context = await harness.newContext({ javaScriptEnabled: false });
      const page = await context.newPage();
      await page.goto(`/login?next=${encodeURIComponent("/messages")}`);
      const login = page.locator("form", { has: page.locator('input[name="password"]') });
      await login.locator('input[name="email"]').fill(user.email);
      await login.locator('input[name="password"]').fill(user.password);
      await login.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL((url) => url.pathname === "/messages", { timeout: WAIT_MS });

      const body = unique("posted without script");
      const form = page.locator("form.send-form");
      const id = await form.locator('input[name="id"]').inputValue();
      await form.getByRole("textbox", { name: "Message", exact: true }).fill(body);
      await form.getByRole("button", { name: "Send" }).click();
      await page.waitForLoadState("load");
      await page.goto("/messages");
      await waitForMessage(page, id, body);
      expect((await stored([id])).counts).toEqual([1]);
    },
    TEST_TIMEOUT,
  );
});
