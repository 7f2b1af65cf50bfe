import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppClient } from "../fixtures/app-client.ts";
import { expectPageUnderPolicy, expectSecurityHeaders } from "../fixtures/security-headers.ts";
import { decodeServerFunctionBody } from "../fixtures/server-functions.ts";
import { expireAccessToken, readSession, writeSession } from "../fixtures/session-tokens.ts";
import { type AppServer, startDedicatedApp } from "../setup/app-server.ts";
import type { LocalApp } from "../../scripts/local-env.ts";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

// Postgres (and the auth server) are stopped here, so this file runs its own backend and app
// server: the project's shared ones stay up for every other file.
let stack: LocalApp;
let app: AppServer;
let stopAll: () => Promise<void>;
let sql: postgres.Sql;

beforeAll(async () => {
  const started = await startDedicatedApp("faults");
  stack = started.local;
  app = started.apps[0] as AppServer;
  stopAll = started.stop;
  sql = postgres(stack.env.ADMIN_DATABASE_URL, { max: 2, onnotice: () => undefined });
});

afterAll(async () => {
  await sql?.end({ timeout: 1 });
  await stopAll?.();
});

async function signedIn(email: string): Promise<AppClient> {
  const client = new AppClient({ base: app.url });
  await client.signIn(email, "password123", "/messages");
  return client;
}

/** The sendMessage server function's id, read from the page's form while the database is up. */
async function sendMessageId(client: AppClient): Promise<string> {
  const action = new URL(await client.actionUrl("/messages", "sendMessage"), client.base);
  return `${action.searchParams.get("id")}#${action.searchParams.get("name")}`;
}

/** Sends the way the page's JavaScript does (a server-function call), not as a no-JS form. */
async function sendWithJs(client: AppClient, functionId: string, id: string, body: string): Promise<Response> {
  const form = new FormData();
  form.set("id", id);
  form.set("body", body);
  return client.request("/_server", {
    method: "POST",
    headers: { "x-server-id": encodeURIComponent(functionId), "x-server-instance": "server-fn:0", origin: client.base },
    body: form,
  });
}

/** "accepted" (200 without X-Error: SolidStart answers a thrown message with X-Error), else the status. */
async function outcome(response: Response): Promise<"accepted" | number> {
  await response.body?.cancel();
  return response.status === 200 && !response.headers.has("x-error") ? "accepted" : response.status;
}

async function storedCount(id: string): Promise<number> {
  const [row] = await sql`select count(*)::int as n from public.messages where id = ${id}`;
  return row?.n as number;
}

function html(response: Response): boolean {
  return (response.headers.get("content-type") ?? "").startsWith("text/html");
}

const browser = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };

/** Polls until the app serves /messages again: recovery must need no restart, only time. */
async function untilRecovered(client: AppClient): Promise<Response> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const response = await client.request("/messages", { headers: browser });
    if (response.status === 200) return response;
    await response.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error("the app did not recover after Postgres came back");
}

describe("Postgres unreachable", () => {
  it(
    "pages that need no data render, pages that need data are a 503 page, calls get 503; all recover",
    { timeout: 60_000 },
    async () => {
      const bob = await signedIn("bob@example.com");
      const functionId = await sendMessageId(bob);
      await stack.supabase.pause();
      try {
        const protectedPage = await bob.request("/protected", { headers: browser });
        expect(protectedPage.status).toBe(200);
        expect(await protectedPage.text()).toContain("bob@example.com");

        const messages = await bob.request("/messages", { headers: browser });
        expect(messages.status).toBe(503);
        expect(html(messages)).toBe(true);
        expect(messages.headers.get("retry-after")).toMatch(/^\d+$/);
        const page = await messages.text();
        expectPageUnderPolicy(page, expectSecurityHeaders(messages, "the 503 page", stack.env.VITE_SUPABASE_URL), "the 503 page");
        expect(page).toContain("Temporarily unavailable");
        expect(page).toMatch(/<header [^>]*class="site-header"/);
        expect(page).not.toMatch(/ECONNREFUSED|postgres|\/work\/|at .*\.m?js:\d+/i);

        const id = randomUUID();
        const send = await sendWithJs(bob, functionId, id, `during the outage ${id}`);
        expect(send.status).toBe(503);
        expect(send.headers.get("retry-after")).toMatch(/^\d+$/);
        // X-Error only flags the error (ADR 0020); the message travels in the serialized body.
        expect(send.headers.get("x-error")).toBe("true");
        expectSecurityHeaders(send, "a server function's 503", stack.env.VITE_SUPABASE_URL);
        const error = decodeServerFunctionBody(new Uint8Array(await send.arrayBuffer()), send.headers.get("content-type"));
        expect((error as Error).message).toContain("temporarily unavailable");
        // Signed in throughout: no cookie was removed while the database was away.
        expect(bob.lastSetCookies.filter((cookie) => /max-age=0/i.test(cookie))).toEqual([]);
      } finally {
        await stack.supabase.resume();
      }
      const recovered = await untilRecovered(bob);
      expect(await recovered.text()).toContain('data-message-id="');
      const id = randomUUID();
      expect(await outcome(await sendWithJs(bob, functionId, id, `after the outage ${id}`))).toBe("accepted");
      expect(await storedCount(id)).toBe(1);
    },
  );

  it("a query error that is not an outage is a 500 page in the site layout, not a stack trace", async () => {
    const carol = await signedIn("carol@example.com");
    await sql`revoke select on public.messages from authenticated`;
    try {
      const response = await carol.request("/messages", { headers: browser });
      expect(response.status).toBe(500);
      expect(html(response)).toBe(true);
      const page = await response.text();
      expectPageUnderPolicy(page, expectSecurityHeaders(response, "the 500 page", stack.env.VITE_SUPABASE_URL), "the 500 page");
      expect(page).toContain("Something went wrong");
      expect(page).toMatch(/<header [^>]*class="site-header"/);
      expect(page).not.toMatch(/permission denied|\/work\/|at .*\.m?js:\d+/i);
    } finally {
      await sql`grant select on public.messages to authenticated`;
    }
    expect((await carol.request("/messages", { headers: browser })).status).toBe(200);
  });
});

describe("fault suite: Postgres stopped and started under load", () => {
  it("loses nothing and duplicates nothing, and recovers by itself", { timeout: 120_000 }, async () => {
    const users = await Promise.all(["alice@example.com", "bob@example.com", "carol@example.com"].map(signedIn));
    const functionId = await sendMessageId(users[0] as AppClient);
    const sends: { client: AppClient; id: string; body: string; result: "accepted" | number }[] = [];
    const pageStatuses: number[] = [];
    let running = true;

    const traffic = users.map(async (client) => {
      while (running) {
        const id = randomUUID();
        const body = `fault suite ${id}`;
        sends.push({ client, id, body, result: await outcome(await sendWithJs(client, functionId, id, body)) });
        for (const path of ["/protected", "/messages"]) {
          const page = await client.request(path, { headers: browser });
          await page.body?.cancel();
          pageStatuses.push(page.status);
        }
        // Paced, so the refused sends retried below stay within the per-account send limit.
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    });

    const settle = async (count: number) => {
      const target = sends.length + count;
      while (sends.length < target) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    await settle(6);
    await stack.supabase.pause();
    await settle(6);
    await stack.supabase.resume();
    await untilRecovered(users[0] as AppClient);
    await settle(6);
    running = false;
    await Promise.all(traffic);

    expect(sends.some((send) => send.result === 503)).toBe(true);
    expect(sends.some((send) => send.result === "accepted")).toBe(true);
    expect(sends.filter((send) => send.result !== "accepted" && send.result !== 503).map((send) => send.result)).toEqual([]);
    expect(pageStatuses.filter((status) => status !== 200 && status !== 503)).toEqual([]);

    for (const send of sends) {
      const stored = await storedCount(send.id);
      if (send.result === "accepted") expect(stored, `accepted ${send.id}`).toBe(1);
      else {
        // Refused during the outage: not stored, or stored once (committed before the cut);
        // sent again with the same id, it is there exactly once.
        expect(stored, `refused ${send.id}`).toBeLessThanOrEqual(1);
        expect(await outcome(await sendWithJs(send.client, functionId, send.id, send.body))).toBe("accepted");
        expect(await storedCount(send.id)).toBe(1);
      }
    }
    const ids = sends.map((send) => send.id);
    const [row] =
      await sql`select count(*)::int as n, count(distinct body)::int as bodies from public.messages where id = any(${ids}::uuid[])`;
    expect(row).toEqual({ n: ids.length, bodies: ids.length });
  });
});

describe("auth server unreachable during a refresh", () => {
  it("keeps the cookies (signed out only if the token expired), and refreshes once it is back", { timeout: 60_000 }, async () => {
    const bob = await signedIn("bob@example.com");
    const session = await readSession(bob);
    const now = Math.floor(Date.now() / 1000);
    const apiPort = Number(new URL(stack.env.VITE_SUPABASE_URL).port);
    await new Promise<void>((resolve) => {
      stack.supabase.apiServer.close(() => resolve());
      stack.supabase.apiServer.closeAllConnections();
    });
    try {
      await expireAccessToken(bob, 60, stack.supabase.dataDir);
      const expired = await bob.request("/protected", { headers: browser });
      await expired.body?.cancel();
      expect(expired.status).toBe(302);
      expect(expired.headers.get("location")).toBe("/login?next=%2Fprotected");
      expect(bob.lastSetCookies).toEqual([]);
      // Only the cookie says the session is past due: the token is still good for this request.
      writeSession(bob, { ...session, expires_at: now - 60 });
      const response = await bob.request("/protected", { headers: browser });
      await response.body?.cancel();
      // The access token itself is still valid, so the user stays signed in for this request.
      expect(response.status).toBe(200);
      expect(bob.lastSetCookies).toEqual([]);
      expect(bob.sessionCookieNames().length).toBeGreaterThan(0);
    } finally {
      await new Promise<void>((resolve) => stack.supabase.apiServer.listen(apiPort, "127.0.0.1", () => resolve()));
    }
    let refreshed = false;
    for (let attempt = 0; attempt < 50 && !refreshed; attempt++) {
      const response = await bob.request("/protected", { headers: browser });
      const body = await response.text();
      expect(response.status).toBe(200);
      expect(body).toContain("bob@example.com");
      refreshed = (await readSession(bob)).refresh_token !== session.refresh_token;
      if (!refreshed) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(refreshed).toBe(true);
  });
});
