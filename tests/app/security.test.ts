import { describe, expect, inject, it } from "vitest";
import { adminClient, createConfirmedUser } from "../fixtures/admin.ts";
import { AppClient } from "../fixtures/app-client.ts";
import {
  flashOf,
  isPrivateNoStore,
  localProviderCallback,
  postForm,
  sessionSetCookies,
  withAppDatabase,
} from "../fixtures/auth-flows.ts";
import { uniqueEmail } from "../fixtures/mailbox.ts";
import { expireAccessToken, writeSession, readSession } from "../fixtures/session-tokens.ts";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

const PASSWORD = "security-password-1";
const appOrigin = () => new URL(inject("appUrl")).origin;

/**
 * `next` values that must never send the browser off the origin. Several are only dangerous after
 * one more decoding, after a browser strips tabs/newlines, or because browsers read `\` as `/`.
 */
const OPEN_REDIRECTS = [
  "//evil.com",
  "///evil.com",
  "////evil.com/path",
  "/\\evil.com",
  "\\/evil.com",
  "\\\\evil.com",
  "/\\/evil.com",
  "https://evil.com",
  "http://evil.com/protected",
  "https:evil.com",
  "http:/evil.com",
  "//evil.com@127.0.0.1",
  "http://127.0.0.1@evil.com",
  "javascript:alert(document.domain)",
  "data:text/html,<script>alert(1)</script>",
  "/%2F%2Fevil.com",
  "%2F%2Fevil.com",
  "/%5Cevil.com",
  "%2F%5Cevil.com",
  "/%252F%252Fevil.com",
  "%252F%252Fevil.com",
  "/\t/evil.com",
  "/\n/evil.com",
  "/%09/evil.com",
  "/%0d%0aLocation:%20https://evil.com",
  "/\u0000//evil.com",
  " //evil.com",
  "//evil%2Ecom",
  "//%65vil.com",
  "https%3A%2F%2Fevil.com",
];

/**
 * Dot segments that the WHATWG URL parser removes, leaving a protocol-relative path. APP BUG:
 * src/lib/safe-redirect.ts checks `//` on the raw value, then returns `new URL(next).pathname`,
 * which for `/.//evil.com` IS `//evil.com` (see the report).
 */
const DOT_SEGMENT_REDIRECTS = ["/.//evil.com", "/..//evil.com", "/%2e//evil.com", "/a/..//evil.com", "/%2e%2e//evil.com"];

/** Where a browser goes with this Location header (WHATWG parsing: `\` is `/`, tabs are dropped). */
function expectSameOrigin(location: string | null): void {
  expect(location).toBeTruthy();
  const target = new URL(location as string, inject("appUrl"));
  expect(target.origin, `Location ${JSON.stringify(location)}`).toBe(appOrigin());
}

async function magicLinkHash(email: string): Promise<string> {
  const { data, error } = await adminClient().auth.admin.generateLink({ type: "magiclink", email });
  if (error) throw error;
  return data.properties.hashed_token;
}

describe("open redirect: `next` never leaves the origin", () => {
  it(`the list has at least 20 forms (${OPEN_REDIRECTS.length})`, () => {
    expect(OPEN_REDIRECTS.length).toBeGreaterThanOrEqual(20);
  });

  async function confirmWith(next: string): Promise<Response> {
    const email = uniqueEmail("redirect-confirm");
    await createConfirmedUser(email, PASSWORD);
    const query = new URLSearchParams({ token_hash: await magicLinkHash(email), type: "magiclink", next });
    const client = new AppClient();
    const response = await client.request(`/auth/confirm?${query}`);
    // A real sign-in happened: the redirect is the success path, not an error fallback.
    expect(response.status).toBe(303);
    expect(client.sessionCookieNames().length).toBeGreaterThan(0);
    return response;
  }

  async function callbackWith(next: string): Promise<Response> {
    const client = new AppClient();
    const callback = await localProviderCallback(client, uniqueEmail("redirect-oauth"), "/");
    // The attacker controls the link, so the payload replaces the `next` the app put there.
    callback.searchParams.set("next", next);
    const response = await client.request(`${callback.pathname}${callback.search}`);
    expect(response.status).toBe(303);
    expect(client.sessionCookieNames().length).toBeGreaterThan(0);
    return response;
  }

  async function signInWith(next: string): Promise<Response> {
    const email = uniqueEmail("redirect-signin");
    await createConfirmedUser(email, PASSWORD);
    const client = new AppClient();
    const response = await postForm(client, `/login?next=${encodeURIComponent(next)}`, "signIn", {
      email,
      password: PASSWORD,
      next,
    });
    expect(response.status).toBe(302);
    expect(client.sessionCookieNames().length).toBeGreaterThan(0);
    return response;
  }

  const routes = [
    ["/auth/confirm?token_hash&type&next", confirmWith],
    ["/auth/callback?code&next", callbackWith],
    ["the sign-in form's next", signInWith],
  ] as const;

  for (const [route, run] of routes) {
    it.each(OPEN_REDIRECTS.map((payload) => [JSON.stringify(payload), payload]))(`${route}: %s`, async (_label, payload) => {
      expectSameOrigin((await run(payload)).headers.get("location"));
    });

    it.each(DOT_SEGMENT_REDIRECTS.map((payload) => [JSON.stringify(payload), payload]))(
      `${route}: %s (dot segments must not resolve to //evil.com)`,
      async (_label, payload) => {
        expectSameOrigin((await run(payload)).headers.get("location"));
      },
    );
  }

  it("an error redirect carries only a sanitised next, and the login page keeps it on the origin", async () => {
    for (const payload of [...OPEN_REDIRECTS, "/protected?tab=1#top"]) {
      const response = await new AppClient().request(`/auth/callback?next=${encodeURIComponent(payload)}`);
      const location = response.headers.get("location") as string;
      expectSameOrigin(location);
      const carried = new URL(location, inject("appUrl")).searchParams.get("next") as string;
      expectSameOrigin(carried);
      expect(carried.startsWith("/") && !carried.startsWith("//")).toBe(true);
    }
  });

  it("a same-origin next with query and fragment survives", async () => {
    const response = await signInWith("/protected?tab=1");
    expect(response.headers.get("location")).toBe("/protected?tab=1");
  });
});

describe("cross-origin writes are refused", () => {
  async function signedIn(): Promise<{ client: AppClient; email: string }> {
    const email = uniqueEmail("csrf");
    await createConfirmedUser(email, PASSWORD);
    const client = new AppClient();
    await client.signIn(email, PASSWORD, "/protected");
    return { client, email };
  }

  const hostile: [string, Record<string, string>][] = [
    ["another site", { origin: "https://evil.example" }],
    ["another port of the same host", { origin: "http://127.0.0.1:1" }],
    ["an opaque origin (sandboxed frame, data: URL)", { origin: "null" }],
    ["https on the same host (another origin)", { origin: appOrigin().replace("http:", "https:") }],
    ["no Origin but Sec-Fetch-Site: cross-site", { "sec-fetch-site": "cross-site" }],
    ["a malformed Origin", { origin: "not a url" }],
  ];

  it.each(hostile)("a no-JS form post from %s: 403, and the sign-out did not happen", async (_name, headers) => {
    const { client, email } = await signedIn();
    const action = await client.actionUrl("/logout", "signOut");
    const response = await client.request(action, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams({ scope: "global" }).toString(),
    });
    expect(response.status).toBe(403);
    expect(sessionSetCookies(response)).toEqual([]);
    // The session is alive, even after a refresh (a global sign-out would have revoked it).
    await expireAccessToken(client);
    const page = await client.follow("/protected");
    expect(page.url.pathname).toBe("/protected");
    expect(page.body).toContain(email);
  });

  it.each(hostile)("a JS server-function call from %s: 403", async (_name, headers) => {
    const { client } = await signedIn();
    const action = new URL(await client.actionUrl("/logout", "signOut"), client.base);
    const id = `${action.searchParams.get("id")}#${action.searchParams.get("name")}`;
    const form = new FormData();
    form.set("scope", "global");
    const response = await client.request("/_server", {
      method: "POST",
      headers: { "x-server-id": encodeURIComponent(id), "x-server-instance": "server-fn:0", ...headers },
      body: form,
    });
    expect(response.status).toBe(403);
    expect(sessionSetCookies(response)).toEqual([]);
  });

  it("a cross-origin sign-in sets no session (login CSRF)", async () => {
    const email = uniqueEmail("login-csrf");
    await createConfirmedUser(email, PASSWORD);
    const client = new AppClient();
    const response = await postForm(
      client,
      "/login",
      "signIn",
      { email, password: PASSWORD, next: "/" },
      { origin: "https://evil.example" },
    );
    expect(response.status).toBe(403);
    expect(client.sessionCookieNames()).toEqual([]);
  });

  it("the same writes from the app's own origin work (the guard is not just refusing everything)", async () => {
    const { client } = await signedIn();
    const response = await postForm(client, "/logout", "signOut", { scope: "local" });
    expect(response.status).toBe(302);
    expect(client.sessionCookieNames()).toEqual([]);
  });
});

describe("auth rate limits (Postgres, per account and per IP)", () => {
  /** One sign-in attempt as a no-JS form post; returns the message the action answered, or "signed in". */
  async function attempt(client: AppClient, action: string, email: string, password: string): Promise<string> {
    const response = await client.request(action, {
      method: "POST",
      headers: {
        origin: client.base,
        referer: `${client.base}/login`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ email, password, next: "/protected" }).toString(),
    });
    if (response.status === 302 && response.headers.get("location") === "/protected") return "signed in";
    const flash = flashOf(response);
    if (!flash?.error) throw new Error(`unexpected answer ${response.status}: ${JSON.stringify(flash)}`);
    return String(flash.result);
  }

  const LIMITED = /^Too many attempts\. Try again in (\d+) s\.$/;

  function retryAfter(message: string): number {
    const match = LIMITED.exec(message);
    if (!match) throw new Error(`not rate limited: ${message}`);
    return Number(match[1]);
  }

  it("per account: the 11th attempt within 5 minutes is refused from any IP; other accounts are not affected; the window expires", async () => {
    const email = uniqueEmail("limited");
    await createConfirmedUser(email, PASSWORD);
    const action = await new AppClient().actionUrl("/login", "signIn");
    // Ten wrong passwords, each from a different IP: only the account bucket can add them up.
    for (let i = 0; i < 10; i++) {
      expect(await attempt(new AppClient(), action, email, "wrong-password")).toBe("Invalid email or password.");
    }
    const fresh = new AppClient();
    const refused = await attempt(fresh, action, email, PASSWORD);
    const seconds = retryAfter(refused);
    expect(seconds).toBeGreaterThan(250);
    expect(seconds).toBeLessThanOrEqual(300);
    expect(fresh.sessionCookieNames()).toEqual([]);

    // The same IP can still sign in to another account.
    const other = uniqueEmail("not-limited");
    await createConfirmedUser(other, PASSWORD);
    expect(await attempt(fresh, action, other, PASSWORD)).toBe("signed in");

    // Move the account's window into the past, as five minutes would: the right password works again.
    const moved = await withAppDatabase(
      (sql) => sql`update public.rate_limits set window_started_at = now() - interval '301 seconds'
                   where key = ${`sign-in:account:${email}`} returning key`,
    );
    expect(moved.length).toBe(1);
    const later = new AppClient();
    expect(await attempt(later, action, email, PASSWORD)).toBe("signed in");
    expect(later.sessionCookieNames().length).toBeGreaterThan(0);
  });

  it("per IP: the 31st attempt from one address is refused even for a fresh account; other IPs are not affected", async () => {
    const client = new AppClient();
    const action = await client.actionUrl("/login", "signIn");
    for (let i = 0; i < 30; i++) {
      expect(await attempt(client, action, uniqueEmail("spray"), "wrong-password")).toBe("Invalid email or password.");
    }
    const email = uniqueEmail("victim");
    await createConfirmedUser(email, PASSWORD);
    expect(retryAfter(await attempt(client, action, email, PASSWORD))).toBeGreaterThan(0);
    expect(client.sessionCookieNames()).toEqual([]);
    expect(await attempt(new AppClient(), action, email, PASSWORD)).toBe("signed in");

    await withAppDatabase(
      (sql) =>
        sql`update public.rate_limits set window_started_at = now() - interval '301 seconds' where key = ${`sign-in:ip:${client.ip}`}`,
    );
    expect(await attempt(client, action, email, PASSWORD)).toBe("signed in");
  });

  it("mail sending: the 6th magic link for one address within the hour is refused", async () => {
    const email = uniqueEmail("mail-limit");
    await createConfirmedUser(email, PASSWORD);
    const answers: unknown[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await postForm(new AppClient(), "/login", "sendMagicLink", { email, next: "/" });
      answers.push(flashOf(response)?.result);
    }
    expect(answers.slice(0, 5).every((answer) => typeof answer === "object" && answer !== null && "sent" in answer)).toBe(true);
    expect(retryAfter(String(answers[5]))).toBeGreaterThan(3500);
  });
});

describe("responses that set or clear a session are Cache-Control: private, no-store", () => {
  it("sign-in, refresh, sign-out (this device and everywhere), confirm and callback", async () => {
    const email = uniqueEmail("cache");
    await createConfirmedUser(email, PASSWORD);

    const client = new AppClient();
    const signIn = await postForm(client, "/login", "signIn", { email, password: PASSWORD, next: "/protected" });
    expect(sessionSetCookies(signIn).length).toBeGreaterThan(0);
    expect(isPrivateNoStore(signIn)).toBe(true);

    await expireAccessToken(client);
    const refreshed = await client.request("/protected");
    expect(refreshed.status).toBe(200);
    expect(sessionSetCookies(refreshed).length).toBeGreaterThan(0);
    expect(isPrivateNoStore(refreshed)).toBe(true);

    // A refresh through a server function (after hydration) goes through the same middleware.
    // (the action URL is read first: that GET would otherwise do the refresh)
    const action = await client.actionUrl("/login", "sendMagicLink");
    await expireAccessToken(client);
    const viaServerFunction = await client.request(action, {
      method: "POST",
      headers: { origin: client.base, referer: `${client.base}/login`, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ email: uniqueEmail("x"), next: "/" }).toString(),
    });
    expect(flashOf(viaServerFunction)?.result).toMatchObject({ sent: true });
    expect(sessionSetCookies(viaServerFunction).length).toBeGreaterThan(0);
    expect(isPrivateNoStore(viaServerFunction)).toBe(true);

    const local = await postForm(client, "/logout", "signOut", { scope: "local" });
    expect(sessionSetCookies(local).length).toBeGreaterThan(0);
    expect(isPrivateNoStore(local)).toBe(true);

    const everywhere = new AppClient();
    await everywhere.signIn(email, PASSWORD, "/");
    const global = await postForm(everywhere, "/logout", "signOut", { scope: "global" });
    expect(sessionSetCookies(global).length).toBeGreaterThan(0);
    expect(isPrivateNoStore(global)).toBe(true);

    const confirmClient = new AppClient();
    const query = new URLSearchParams({ token_hash: await magicLinkHash(email), type: "magiclink", next: "/" });
    const confirmed = await confirmClient.request(`/auth/confirm?${query}`);
    expect(sessionSetCookies(confirmed).length).toBeGreaterThan(0);
    expect(isPrivateNoStore(confirmed)).toBe(true);

    const oauthClient = new AppClient();
    const callback = await localProviderCallback(oauthClient, email, "/");
    const exchanged = await oauthClient.request(`${callback.pathname}${callback.search}`);
    expect(sessionSetCookies(exchanged).length).toBeGreaterThan(0);
    expect(isPrivateNoStore(exchanged)).toBe(true);

    // A cookie that cannot authenticate is cleared, also privately.
    const stale = new AppClient();
    await stale.signIn(email, PASSWORD, "/");
    writeSession(stale, { ...(await readSession(stale)), access_token: "not.a.jwt", refresh_token: "dead" });
    const cleared = await stale.request("/");
    expect(sessionSetCookies(cleared).every((cookie) => /Max-Age=0/i.test(cookie))).toBe(true);
    expect(sessionSetCookies(cleared).length).toBeGreaterThan(0);
    expect(isPrivateNoStore(cleared)).toBe(true);
  });
});
