import { request as httpRequest } from "node:http";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { AppClient } from "../fixtures/app-client.ts";
import { createFeedUser } from "../fixtures/feed-users.ts";
import { callServerFunction, useServerFunctions } from "../fixtures/server-functions.ts";
import { appPages } from "../e2e/pages.ts";
import { expectPageUnderPolicy, expectSecurityHeaders } from "../fixtures/security-headers.ts";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

const BROWSER = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };
/** GETs `path` as a browser would, checking the headers of every response on the way; returns the last. */
async function openPage(client: AppClient, path: string): Promise<{ response: Response; url: URL; html: string }> {
  let url = new URL(path, client.base);
  for (let hop = 0; hop < 10; hop++) {
    const response = await client.request(url.toString(), { headers: BROWSER });
    const nonce = expectSecurityHeaders(response, `${response.status} ${url.pathname}${url.search}`);
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url);
      continue;
    }
    const html = await response.text();
    expectPageUnderPolicy(html, nonce, `${response.status} ${url.pathname}`);
    return { response, url, html };
  }
  throw new Error(`too many redirects from ${path}`);
}

function nonceOf(response: Response): string {
  return expectSecurityHeaders(response, response.url);
}

describe("security headers on every response (built app)", () => {
  const fn = useServerFunctions();
  let member: AppClient;
  let moderator: AppClient;

  beforeAll(async () => {
    const [user, mod] = await Promise.all([createFeedUser("headers"), createFeedUser("headersmod", { moderator: true })]);
    member = new AppClient();
    await member.signIn(user.email, user.password, "/");
    moderator = new AppClient();
    await moderator.signIn(mod.email, mod.password, "/");
  });

  it("every page of src/routes, signed out, signed in and as a moderator, and every redirect on the way", async () => {
    const pages = appPages();
    expect(pages.length).toBeGreaterThan(10);
    const statuses = new Set<number>();
    for (const identity of [new AppClient(), member, moderator]) {
      for (const page of pages) statuses.add((await openPage(identity, page.path)).response.status);
    }
    // The signed-out visits were redirected to /login; the member met the 403 page; the catch-all the 404 page.
    expect([...statuses].sort()).toEqual([200, 403, 404]);
  });

  it("the nonce is new for every response and is the one on that page's scripts", async () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const response = await new AppClient().request("/login", { headers: BROWSER });
      const nonce = nonceOf(response);
      expectPageUnderPolicy(await response.text(), nonce, "/login");
      nonces.add(nonce);
    }
    expect(nonces.size).toBe(5);
  });

  it("error pages: 404, 403 (the page and the plain-text answer)", async () => {
    const missing = await openPage(new AppClient(), "/no/such/page");
    expect(missing.response.status).toBe(404);
    const forbidden = await openPage(member, "/moderation");
    expect(forbidden.response.status).toBe(403);
    const plain = await member.request("/moderation", { headers: { accept: "text/plain" } });
    expect(plain.status).toBe(403);
    nonceOf(plain);
  });

  it("a server-function answer is JSON (no eval in the browser) and carries the headers", async () => {
    const call = await callServerFunction(member, fn("getCurrentUser"), { args: [] });
    expect(call.response.status).toBe(200);
    expect(call.response.headers.get("x-serialized")).toBeTruthy();
    expect(call.response.headers.get("content-type") ?? "").not.toMatch(/javascript/);
    expect(call.value).toMatchObject({ email: expect.any(String) });
    nonceOf(call.response);
  });

  it("the request boundary's refusals and the middleware's own answers", async () => {
    const garbage = await callServerFunction(
      member,
      fn("getCurrentUser"),
      { raw: "not json", contentType: "text/plain" },
      {
        "x-serialized": "true",
      },
    );
    expect(garbage.response.status).toBe(400);
    nonceOf(garbage.response);

    const crossSite = await member.request(await member.actionUrl("/logout", "signOut"), {
      method: "POST",
      headers: { origin: "https://evil.example", "content-type": "application/x-www-form-urlencoded" },
      body: "scope=local",
    });
    expect(crossSite.status).toBe(403);
    nonceOf(crossSite);

    const signedOut = await new AppClient().request("/messages", { headers: BROWSER });
    expect(signedOut.status).toBe(302);
    nonceOf(signedOut);
  });

  it("a form post's redirect (no JavaScript) and the API routes, with bad input", async () => {
    const user = await createFeedUser("headersform");
    const signIn = await new AppClient().signIn(user.email, user.password, "/messages");
    expect(signIn.status).toBe(302);
    nonceOf(signIn);
    for (const path of ["/auth/callback", "/auth/callback?code=not-a-code", "/auth/confirm?token_hash=x&type=nonsense"]) {
      const response = await new AppClient().request(path, { headers: BROWSER });
      expect(response.status, path).toBeGreaterThanOrEqual(300);
      expect(response.status, path).toBeLessThan(500);
      nonceOf(response);
    }
  });
});

describe("static files (served before the middleware)", () => {
  it("the favicon and the client's scripts and styles carry the fixed headers and a policy that allows nothing", async () => {
    const html = await (await fetch(new URL("/login", inject("appUrl")))).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/_build\/assets\/[^"]+)"/g)].map((match) => match[1] as string);
    expect(assets.some((path) => path.endsWith(".js"))).toBe(true);
    expect(assets.some((path) => path.endsWith(".css"))).toBe(true);
    for (const path of ["/favicon.svg", ...assets]) {
      const response = await fetch(new URL(path, inject("appUrl")));
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-security-policy"), path).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(response.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(response.headers.get("x-frame-options"), path).toBe("DENY");
      expect(response.headers.get("referrer-policy"), path).toBe("same-origin");
    }
  });
});

/** A GET with the Host and X-Forwarded-Proto a TLS-terminating proxy would send (fetch cannot set Host). */
function getThroughProxy(host: string, proto: string): Promise<Record<string, string | string[] | undefined>> {
  const app = new URL(inject("appUrl"));
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { hostname: app.hostname, port: app.port, path: "/login", headers: { host, "x-forwarded-proto": proto, ...BROWSER } },
      (response) => {
        response.resume();
        response.on("end", () => resolve(response.headers));
      },
    );
    request.on("error", reject);
    request.end();
  });
}

describe("Strict-Transport-Security", () => {
  it("only when the app is served over https, and never for a loopback host", async () => {
    expect((await getThroughProxy("app.example.com", "https"))["strict-transport-security"]).toBe(
      "max-age=31536000; includeSubDomains",
    );
    expect((await getThroughProxy("app.example.com", "http"))["strict-transport-security"]).toBeUndefined();
    expect((await getThroughProxy(new URL(inject("appUrl")).host, "https"))["strict-transport-security"]).toBeUndefined();
  });
});
