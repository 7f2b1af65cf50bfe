import type { Page } from "playwright-core";
import { afterAll, expect, it } from "vitest";
import { ISO_MICROS_SQL_FORMAT } from "../../src/lib/domain/timestamps.ts";
import { createFeedUser, feedDatabase, feedOrder, type FeedUser, insertMessages, unique } from "../fixtures/feed-users.ts";
import { describeInBrowser, useBrowser } from "./browser.ts";
import { messageItem, openLiveFeed, shownIds, waitForMessage, waitUntil, WAIT_MS } from "./feed-page.ts";

const sql = feedDatabase();
afterAll(() => sql.end());

const TEST_TIMEOUT = 60_000;
/** FEED_PAGE_SIZE: the messages one page of the feed holds. */
const PAGE = 50;

/** The feed's scroll box: scrollTop is 0 at the bottom and negative above it (a reversed column). */
async function scrollState(page: Page): Promise<{ top: number; height: number; client: number }> {
  return page
    .getByTestId("feed-scroll")
    .evaluate((box) => ({ top: box.scrollTop, height: box.scrollHeight, client: box.clientHeight }));
}

/** Where a message's element is, in pixels from the top of the scroll box's visible area. */
async function offsetInView(page: Page, id: string): Promise<number> {
  return page.evaluate((messageId) => {
    const box = document.querySelector('[data-testid="feed-scroll"]');
    const item = document.querySelector(`[data-testid="messages"] > li[data-message-id="${messageId}"]`);
    if (!box || !item) throw new Error(`no element for ${messageId}`);
    return item.getBoundingClientRect().top - box.getBoundingClientRect().top;
  }, id);
}

/** Whether the whole element of a message is inside the scroll box's visible area. */
async function inView(page: Page, id: string): Promise<boolean> {
  return page.evaluate((messageId) => {
    const box = document.querySelector('[data-testid="feed-scroll"]')?.getBoundingClientRect();
    const item = document.querySelector(`[data-testid="messages"] > li[data-message-id="${messageId}"]`)?.getBoundingClientRect();
    return !!box && !!item && item.top >= box.top - 1 && item.bottom <= box.bottom + 1;
  }, id);
}

async function rowsWithBody(body: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from public.messages where body = ${body}`;
  return row?.n ?? 0;
}

describeInBrowser("the feed as a chat in a real browser", () => {
  const harness = useBrowser();

  async function feedPage(user: FeedUser, path = "/messages"): Promise<Page> {
    const page = await (await harness.newContext()).newPage();
    await openLiveFeed(page, user, path);
    return page;
  }

  it(
    "Enter sends and Shift+Enter starts a new line; the box grows with its text and counts down near the limit",
    async () => {
      const user = await createFeedUser("uxenter");
      const page = await feedPage(user);
      const box = page.getByRole("textbox", { name: "Message", exact: true });
      const hint = page.getByTestId("characters-left");
      const emptyHeight = await box.evaluate((element) => element.getBoundingClientRect().height);

      const lines = [unique("line one"), "line two", "line three"];
      await box.click();
      await page.keyboard.type(lines[0] ?? "");
      for (const line of lines.slice(1)) {
        await page.keyboard.press("Shift+Enter");
        await page.keyboard.type(line);
      }
      const body = lines.join("\n");
      expect(await box.inputValue()).toBe(body);
      expect(await box.evaluate((element) => element.getBoundingClientRect().height)).toBeGreaterThan(emptyHeight);
      expect(await rowsWithBody(body)).toBe(0);
      expect(await hint.textContent()).not.toContain("characters left");

      const id = await page.locator('form.send-form input[name="id"]').inputValue();
      await page.keyboard.press("Enter");
      await waitForMessage(page, id, lines[0]);
      expect(await messageItem(page, id).locator("p.body").textContent()).toBe(body);
      expect(await rowsWithBody(body)).toBe(1);
      expect(await box.inputValue()).toBe("");
      await waitUntil(
        async () => (await box.evaluate((element) => element.getBoundingClientRect().height)) <= emptyHeight + 1,
        "the box to shrink back",
      );
      // The newest message is the last one, in view at the bottom.
      expect((await shownIds(page)).at(-1)).toBe(id);
      expect(await inView(page, id)).toBe(true);
      expect(await messageItem(page, id).locator('.status[data-status="sent"]').textContent()).toBe("Sent");

      await box.fill("x".repeat(1990));
      expect(await hint.textContent()).toBe("10 characters left");
      expect(await box.getAttribute("aria-describedby")).toBe(await hint.getAttribute("id"));
    },
    TEST_TIMEOUT,
  );

  it(
    "older messages load as the reader scrolls up, above what they read, without the view jumping",
    async () => {
      const [reader, writer] = await Promise.all([createFeedUser("uxolder"), createFeedUser("uxolderw")]);
      const bodies = Array.from({ length: 2 * PAGE + 20 }, (_, i) => unique(`history ${String(i).padStart(3, "0")}`));
      const ids = await insertMessages(sql, writer.id, bodies);
      const oldestFirst = (await feedOrder(sql, ids)).reverse();
      const page = await feedPage(reader);

      // The first page: the newest 50, oldest at the top, the view at the bottom.
      expect(await shownIds(page)).toEqual(oldestFirst.slice(-PAGE));
      expect((await scrollState(page)).top).toBe(0);
      expect(await inView(page, oldestFirst.at(-1) ?? "")).toBe(true);

      // Scroll to the top: the first shown message keeps its place while the next page comes in above.
      const anchor = oldestFirst.at(-PAGE) ?? "";
      const before = await page.evaluate((anchorId) => {
        const box = document.querySelector('[data-testid="feed-scroll"]');
        const item = document.querySelector(`[data-message-id="${anchorId}"]`);
        if (!box || !item) throw new Error("no feed");
        box.scrollTop = -(box.scrollHeight - box.clientHeight);
        return item.getBoundingClientRect().top - box.getBoundingClientRect().top;
      }, anchor);
      await waitUntil(async () => (await shownIds(page)).length >= 2 * PAGE, "the second page to load");
      expect(Math.abs((await offsetInView(page, anchor)) - before)).toBeLessThan(2);
      expect((await shownIds(page)).slice(-2 * PAGE)).toEqual(oldestFirst.slice(-2 * PAGE));

      // Again, until the oldest of them is there; each message once, in order.
      await waitUntil(
        async () => {
          await page.getByTestId("feed-scroll").evaluate((box) => (box.scrollTop = -(box.scrollHeight - box.clientHeight)));
          return (await shownIds(page)).includes(oldestFirst[0] ?? "");
        },
        "the third page to load",
        WAIT_MS,
      );
      const shown = await shownIds(page);
      expect(new Set(shown).size).toBe(shown.length);
      expect(shown.filter((id) => ids.includes(id))).toEqual(oldestFirst);
    },
    TEST_TIMEOUT,
  );

  it(
    "at the bottom the view follows new messages; scrolled up it stays put and a 'new messages' pill takes the reader down",
    async () => {
      const [reader, writer] = await Promise.all([createFeedUser("uxpill"), createFeedUser("uxpillw")]);
      await insertMessages(
        sql,
        writer.id,
        Array.from({ length: 30 }, (_, i) => unique(`filler ${i}`)),
      );
      const page = await feedPage(reader);
      const pill = page.getByTestId("new-messages");

      const [first] = await insertMessages(sql, writer.id, [unique("while at the bottom")]);
      await waitForMessage(page, first ?? "");
      await waitUntil(() => inView(page, first ?? ""), "the new message to be in view");
      expect((await scrollState(page)).top).toBeGreaterThan(-48);
      expect(await pill.count()).toBe(0);

      // Scroll up a little (not far enough to load older messages) and note what is in view.
      await page.getByTestId("feed-scroll").evaluate((box) => (box.scrollTop = -200));
      const visible = await page.evaluate(() => {
        const box = document.querySelector('[data-testid="feed-scroll"]')?.getBoundingClientRect();
        const items = [...document.querySelectorAll('[data-testid="messages"] > li[data-message-id]')];
        const item = items.find((element) => box && element.getBoundingClientRect().top >= box.top);
        return item?.getAttribute("data-message-id") ?? "";
      });
      await waitUntil(async () => (await scrollState(page)).top === -200, "the scroll to settle");
      const offset = await offsetInView(page, visible);

      const [second] = await insertMessages(sql, writer.id, [unique("while scrolled up")]);
      await waitForMessage(page, second ?? "");
      await pill.waitFor({ timeout: WAIT_MS });
      expect(await pill.textContent()).toContain("1 new message");
      expect(Math.abs((await offsetInView(page, visible)) - offset)).toBeLessThan(2);
      expect(await inView(page, second ?? "")).toBe(false);

      await pill.click();
      await waitUntil(() => inView(page, second ?? ""), "the pill to scroll to the new message");
      await waitUntil(async () => (await pill.count()) === 0, "the pill to go");
    },
    TEST_TIMEOUT,
  );

  it(
    "a conversation shows relative times with the exact local time, initials, the edited marker and tombstones",
    async () => {
      const [me, other] = await Promise.all([createFeedUser("ux_me"), createFeedUser("ux_other")]);
      const [old] = await sql<{ id: string; created_at: string }[]>`
        insert into public.messages (author_id, recipient_id, body, created_at)
        values (${other.id}, ${me.id}, ${unique("from three hours ago")}, now() - interval '3 hours 5 minutes')
        returning id, to_char(created_at at time zone 'UTC', ${ISO_MICROS_SQL_FORMAT}) as created_at`;
      const [edited, removed] = await sql<{ id: string }[]>`
        insert into public.messages (author_id, recipient_id, body)
        values (${other.id}, ${me.id}, ${unique("to be edited")}), (${other.id}, ${me.id}, ${unique("to be removed")})
        returning id`;
      if (!old || !edited || !removed) throw new Error("insert failed");
      await sql`update public.messages set body = ${unique("after the edit")} where id = ${edited.id}`;
      await sql`update public.messages set deleted_at = now() where id = ${removed.id}`;

      const page = await feedPage(me, `/messages/direct/${other.username}`);
      const time = messageItem(page, old.id).locator("time");
      expect(await time.getAttribute("datetime")).toBe(old.created_at);
      expect(await time.textContent()).toBe("3 h ago");
      const localTime = await page.evaluate(
        (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" }),
        old.created_at,
      );
      // The server renders UTC; the browser puts the reader's own time zone in once it runs.
      await waitUntil(async () => (await time.getAttribute("title")) === localTime, "the local time as the title");
      expect(await messageItem(page, old.id).locator(".avatar").textContent()).toBe("UO");
      expect(await messageItem(page, edited.id).locator(".edited").textContent()).toBe("edited");
      expect(await messageItem(page, old.id).locator(".edited").count()).toBe(0);
      const tombstone = messageItem(page, removed.id);
      expect(await tombstone.getAttribute("class")).toMatch(/\btombstone\b/);
      expect(await tombstone.locator(".removed").textContent()).toBe("This message was removed.");
      expect(await tombstone.locator("p.body").count()).toBe(0);
    },
    TEST_TIMEOUT,
  );
});
