import type { Page } from "playwright-core";
import { afterAll, expect, it } from "vitest";
import { createFeedUser, feedDatabase } from "../fixtures/feed-users.ts";
import { describeInBrowser, useBrowser } from "./browser.ts";
import { signInAt, waitForHydration, waitForState, waitUntil } from "./feed-page.ts";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

const sql = feedDatabase();
afterAll(() => sql.end());

const TEST_TIMEOUT = 90_000;

/** The unread count the list shows for a partner; null when the partner is not listed. */
async function unread(page: Page, partner: string): Promise<number | null> {
  const link = page.locator(`[data-testid="conversations"] a[data-partner="${partner}"]`);
  if ((await link.count()) === 0) return null;
  return Number(await link.getAttribute("data-unread"));
}

async function write(from: string, to: string, body: string): Promise<void> {
  await sql`insert into public.messages (author_id, recipient_id, body) values (${from}, ${to}, ${body})`;
}

describeInBrowser("direct-message list in a real browser", () => {
  const harness = useBrowser();

  it(
    "search by prefix as you type, open the conversation; unread counts go up when the other writes and to 0 once read",
    async () => {
      const [ann, ben] = await Promise.all([createFeedUser("dlann"), createFeedUser("dlben")]);
      const page = await (await harness.newContext()).newPage();
      await signInAt(page, ann.email, ann.password, "/messages/direct");
      await page.evaluate(() => Object.assign(window, { __sameDocument: true }));

      // Typing finds the user without a submit or a reload.
      const box = page.getByRole("searchbox", { name: "Start a conversation" });
      await box.pressSequentially(ben.username.slice(0, 2), { delay: 20 });
      await box.pressSequentially(ben.username.slice(2, 12), { delay: 20 });
      const result = page.getByTestId("user-search-results").getByRole("link", { name: ben.username });
      await result.waitFor();
      expect(await page.evaluate(() => (window as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
      expect(new URL(page.url()).search).toBe("");
      await result.click();
      await page.waitForURL(`**/messages/direct/${ben.username}`);
      await page.getByRole("heading", { name: `Conversation with ${ben.username}` }).waitFor();

      // Ann is back on the list when Ben writes: his messages are unread.
      await page.getByRole("link", { name: "All conversations" }).click();
      await page.waitForURL("**/messages/direct");
      await write(ben.id, ann.id, "hello ann");
      await write(ben.id, ann.id, "are you there?");
      await page.reload();
      await waitForHydration(page);
      expect(await unread(page, ben.username)).toBe(2);
      await expect(page.locator(`a[data-partner="${ben.username}"]`).textContent()).resolves.toContain("are you there?");

      // Hovering the link preloads the conversation; that is not reading it.
      const preloaded = page.waitForRequest((request) => request.url().includes("/_server"));
      await page.locator(`a[data-partner="${ben.username}"]`).hover();
      await preloaded;
      await page.mouse.move(0, 0);
      await page.reload();
      await waitForHydration(page);
      expect(await unread(page, ben.username)).toBe(2);

      // Opening it reads it; the list the router kept is refetched, not shown stale.
      await page.locator(`a[data-partner="${ben.username}"]`).click();
      await page.getByText("are you there?").waitFor();
      await waitForState(page, "live");
      // What Ben writes while the conversation is open is read as it arrives.
      await write(ben.id, ann.id, "still here");
      await page.getByText("still here").waitFor();
      await page.getByRole("link", { name: "All conversations" }).click();
      await page.waitForURL("**/messages/direct");
      await waitUntil(async () => (await unread(page, ben.username)) === 0, "the list to show ben's messages as read");

      // And a new one after leaving counts again.
      await write(ben.id, ann.id, "one more");
      await page.reload();
      expect(await unread(page, ben.username)).toBe(1);
      // Ben's side: Ann never wrote, nothing unread for him.
      const benPage = await (await harness.newContext()).newPage();
      await signInAt(benPage, ben.email, ben.password, "/messages/direct");
      expect(await unread(benPage, ann.username)).toBe(0);
    },
    TEST_TIMEOUT,
  );
});
