import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import { createFeedUser, type FeedUser } from "../fixtures/feed-users.ts";
import { describeInBrowser, useBrowser } from "./browser.ts";
import { openLiveFeed, realtimeSockets, trackSockets, waitForHydration, waitForState, waitUntil } from "./feed-page.ts";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

const TEST_TIMEOUT = 60_000;

/** The names the feed lists under "Online now", in the order shown (by name). */
async function online(page: Page): Promise<string[]> {
  return page.locator('[data-testid="online"] li').allTextContents();
}

async function typingNotice(page: Page): Promise<string> {
  return (await page.locator('[data-testid="typing"]').textContent()) ?? "";
}

describeInBrowser("presence and typing in a real browser", () => {
  const harness = useBrowser();

  async function signedInPage(user: FeedUser, path = "/messages") {
    const context = await harness.newContext();
    const page = await context.newPage();
    const sockets = trackSockets(page);
    await openLiveFeed(page, user, path);
    return { context, page, sockets };
  }

  it(
    "two users with the feed open see each other online, each once however many tabs; a closed feed leaves the list",
    async () => {
      const [ann, ben] = await Promise.all([createFeedUser("pann"), createFeedUser("pben")]);
      const a = await signedInPage(ann);
      const b = await signedInPage(ben);
      // The suite shares one backend: users of other test files may be online on the feed too
      // (a browser that vanished stays until Realtime drops its silent socket, up to a minute).
      // What is checked is ann and ben: each listed once, however many tabs, and gone on leaving.
      const ours = (names: string[]) => names.filter((name) => name === ann.username || name === ben.username);
      const both = [ann.username, ben.username].sort();
      let seen: string[] = [];
      const listsBoth = (page: Page) => async () => ours((seen = await online(page))).join() === both.join();
      await waitUntil(listsBoth(a.page), () => `ann to see ben online (she sees ${JSON.stringify(seen)})`);
      await waitUntil(listsBoth(b.page), () => `ben to see ann online (he sees ${JSON.stringify(seen)})`);

      // A second tab of ann's: still one entry for her.
      const second = await a.context.newPage();
      await second.goto("/messages");
      await waitForHydration(second);
      await waitForState(second, "live");
      await waitUntil(listsBoth(second), () => `ann's second tab to list both (it shows ${JSON.stringify(seen)})`);
      expect(ours(await online(b.page))).toEqual(both);

      // Ben leaves the feed (navigates away): he disappears from both of ann's tabs.
      await b.page.goto("/account");
      const onlyAnn = (page: Page) => async () => ours((seen = await online(page))).join() === ann.username;
      await waitUntil(onlyAnn(a.page), () => `ben to leave ann's list (she sees ${JSON.stringify(seen)})`);
      await waitUntil(onlyAnn(second), () => `ben to leave ann's second tab (it shows ${JSON.stringify(seen)})`);
      expect(await a.page.getByRole("region", { name: "Online now" }).count()).toBe(1);
    },
    TEST_TIMEOUT,
  );

  it(
    "in a conversation one participant sees '<name> is typing...' while the other types, gone soon after they stop; a third user's sockets never carry it",
    async () => {
      const [tia, tom, third] = await Promise.all([createFeedUser("ptia"), createFeedUser("ptom"), createFeedUser("pout")]);
      const t1 = await signedInPage(tia, `/messages/direct/${tom.username}`);
      const t2 = await signedInPage(tom, `/messages/direct/${tia.username}`);
      const outsider = await signedInPage(third);
      const notice = t2.page.locator('[data-testid="typing"]');
      expect(await notice.getAttribute("aria-live")).toBe("polite");
      expect(await typingNotice(t2.page)).toBe("");

      await t1.page.getByRole("textbox", { name: `Message to ${tom.username}` }).pressSequentially("hello there", { delay: 30 });
      await waitUntil(async () => (await typingNotice(t2.page)) === `${tia.username} is typing...`, "tom to see tia typing");
      // The typer does not see their own notice.
      expect(await typingNotice(t1.page)).toBe("");
      await waitUntil(async () => (await typingNotice(t2.page)) === "", "the notice to go away after tia stopped");

      const frames = realtimeSockets(outsider.sockets).flatMap((socket) => socket.received);
      expect(frames.length).toBeGreaterThan(0);
      expect(frames.filter((frame) => frame.includes("typing") || frame.includes(tia.id))).toEqual([]);
      // The typing events did travel over the participants' own socket.
      expect(realtimeSockets(t2.sockets).some((socket) => socket.received.some((frame) => frame.includes("typing")))).toBe(true);
    },
    TEST_TIMEOUT,
  );
});
