import type { BrowserContext, Page, WebSocket } from "playwright-core";
import { expect } from "vitest";
import { UUID_PATTERN } from "../../src/lib/domain/ids.ts";

/** Every wait in the feed suites is bounded by this (the brief: ≤ 15 s per wait). */
export const WAIT_MS = 10_000;

export async function waitForHydration(page: Page): Promise<void> {
  // Same signal as tests/e2e/auth.test.ts: Solid's delegated events are registered and every
  // lazy chunk has loaded.
  await page.waitForFunction(() => "_$DX_DELEGATE" in document, undefined, { timeout: WAIT_MS });
  await page.waitForLoadState("networkidle", { timeout: WAIT_MS });
}

/** Signs in through the login form (with JavaScript) and lands on `next`, hydrated. */
export async function signInAt(page: Page, email: string, password: string, next: string): Promise<void> {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await waitForHydration(page);
  const form = page.locator("form", { has: page.locator('input[name="password"]') });
  await form.locator('input[name="email"]').fill(email);
  await form.locator('input[name="password"]').fill(password);
  await form.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname + url.search === next, { timeout: WAIT_MS });
  await page.getByTestId("signed-in-as").getByText(email).waitFor({ timeout: WAIT_MS });
  await waitForHydration(page);
}

export async function waitForState(page: Page, state: "connecting" | "live" | "reconnecting" | "offline"): Promise<void> {
  await page.locator(`[data-testid="connection-state"][data-state="${state}"]`).waitFor({ timeout: WAIT_MS });
}

/** Signs in, opens `path` and waits until its Realtime channel is subscribed (badge "live"). */
export async function openLiveFeed(page: Page, user: { email: string; password: string }, path = "/messages"): Promise<void> {
  await signInAt(page, user.email, user.password, path);
  await waitForState(page, "live");
}

/** The shown (not pending) messages' ids, in DOM order. */
export async function shownIds(page: Page): Promise<string[]> {
  return page
    .locator('[data-testid="messages"] > li.message:not(.pending)')
    .evaluateAll((items) => items.map((item) => item.getAttribute("data-message-id") ?? ""));
}

export function messageItem(page: Page, id: string) {
  return page.locator(`[data-testid="messages"] > li.message[data-message-id="${id}"]`);
}

/** Waits until the message is shown (not as the pending copy), with the given body. */
export async function waitForMessage(page: Page, id: string, body?: string): Promise<void> {
  const item = page.locator(`[data-testid="messages"] > li.message:not(.pending)[data-message-id="${id}"]`);
  await (body === undefined ? item : item.filter({ has: page.locator("p.body", { hasText: body }) })).waitFor({
    timeout: WAIT_MS,
  });
}

/** Waits until the message is shown as a tombstone: in its place, its body gone. */
export async function waitForTombstone(page: Page, id: string): Promise<void> {
  await page
    .locator(`[data-testid="messages"] > li.message.tombstone[data-message-id="${id}"]`)
    .filter({ hasNot: page.locator("p.body") })
    .waitFor({ timeout: WAIT_MS });
}

export async function waitForMessageGone(page: Page, id: string): Promise<void> {
  await page.waitForFunction((messageId) => document.querySelectorAll(`[data-message-id="${messageId}"]`).length === 0, id, {
    timeout: WAIT_MS,
  });
}

/**
 * Sends through the page's send form (JavaScript on: the action runs in-page) and returns the
 * client-generated id the form carried.
 */
export async function sendFromPage(page: Page, body: string, options: { announcement?: boolean } = {}): Promise<string> {
  const form = page.locator("form.send-form");
  const id = await form.locator('input[name="id"]').inputValue();
  expect(id).toMatch(UUID_PATTERN);
  await form.locator('textarea[name="body"]').fill(body);
  if (options.announcement) await form.getByLabel("Post as an announcement").check();
  await form.getByRole("button", { name: "Send" }).click();
  return id;
}

interface FeedWatch {
  maxCount: Record<string, number>;
  states: string[];
}

/**
 * Records, in every document of the context from its first byte, the highest number of elements
 * seen at once for each `data-message-id` and every connection state the badge showed. A
 * MutationObserver sees each rendered state between tasks, so a duplicate that is rendered and
 * removed later (optimistic copy + echo shown together for a moment) is caught.
 */
export async function watchFeeds(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const watch: FeedWatch = { maxCount: {}, states: [] };
    Object.assign(window, { __feedWatch: watch });
    const record = () => {
      const counts: Record<string, number> = {};
      for (const element of document.querySelectorAll("[data-message-id]")) {
        const id = element.getAttribute("data-message-id") ?? "";
        counts[id] = (counts[id] ?? 0) + 1;
      }
      for (const [id, count] of Object.entries(counts)) {
        if (count > (watch.maxCount[id] ?? 0)) watch.maxCount[id] = count;
      }
      const state = document.querySelector('[data-testid="connection-state"]')?.getAttribute("data-state");
      if (state && watch.states.at(-1) !== state) watch.states.push(state);
    };
    new MutationObserver(record).observe(document, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ["data-state", "data-message-id"],
    });
  });
}

export async function readWatch(page: Page): Promise<FeedWatch> {
  return page.evaluate(() => (window as unknown as { __feedWatch: FeedWatch }).__feedWatch);
}

export interface TrackedSocket {
  url: string;
  closed: boolean;
  /** Text frames the page received. */
  received: string[];
}

/** Every WebSocket the page opens from now on, with what it received and whether it closed. */
export function trackSockets(page: Page): TrackedSocket[] {
  const sockets: TrackedSocket[] = [];
  page.on("websocket", (socket: WebSocket) => {
    const tracked: TrackedSocket = { url: socket.url(), closed: false, received: [] };
    sockets.push(tracked);
    socket.on("framereceived", (frame) => tracked.received.push(Buffer.from(frame.payload).toString("utf8")));
    socket.on("close", () => (tracked.closed = true));
  });
  return sockets;
}

export function realtimeSockets(sockets: TrackedSocket[]): TrackedSocket[] {
  return sockets.filter((socket) => socket.url.includes("/realtime/v1/websocket"));
}

/**
 * Realtime frames that mention `text` (an id or a body): only the database's broadcasts of a
 * message carry its id (joins, replies, presence and heartbeats do not), text or binary alike.
 */
export function changeFramesMentioning(sockets: TrackedSocket[], text: string): string[] {
  return realtimeSockets(sockets).flatMap((socket) => socket.received.filter((frame) => frame.includes(text)));
}

/** `what` may be a function, to say what was seen last when the wait fails. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string | (() => string),
  timeoutMs = WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === "function" ? what() : what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * The number of change frames mentioning `text`, once at least one arrived: a page may show a
 * message (from its own action's revalidation) before the Realtime echo reaches its socket.
 */
export async function changeFramesOnceArrived(sockets: TrackedSocket[], text: string): Promise<number> {
  const deadline = Date.now() + WAIT_MS;
  while (changeFramesMentioning(sockets, text).length === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return changeFramesMentioning(sockets, text).length;
}
