import { beforeAll, describe, expect, it } from "vitest";
import { createConfirmedUser } from "../fixtures/admin.ts";
import { AppClient } from "../fixtures/app-client.ts";
import { uniqueEmail } from "../fixtures/mailbox.ts";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

const browser = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };

async function signedIn(email: string, password = "password123"): Promise<AppClient> {
  const client = new AppClient();
  await client.signIn(email, password, "/");
  return client;
}

// A user of its own, signed in once: the seed's accounts have a per-account sign-in limit that
// the other files already spend.
const email = uniqueEmail("error-pages");
let member: AppClient;
beforeAll(async () => {
  await createConfirmedUser(email, "error-pages-password-1");
  member = await signedIn(email, "error-pages-password-1");
});

function expectSitePage(response: Response, body: string) {
  expect(response.headers.get("content-type")).toMatch(/^text\/html/);
  expect(body).toMatch(/<header [^>]*class="site-header"/);
  expect(body).toMatch(/<main [^>]*class="site-main"/);
  expect(body).not.toMatch(/\/work\/|node_modules|at .*\.m?js:\d+/);
}

// 503 and 500 need a broken database: tests/app/faults.test.ts checks them on its own backend.
describe("error pages", () => {
  it("404: the not-found page in the site layout", async () => {
    const response = await new AppClient().request("/no-such-page", { headers: browser });
    expect(response.status).toBe(404);
    const body = await response.text();
    expectSitePage(response, body);
    expect(body).toContain("Page not found");
    expect(body).toContain("<title>Not found</title>");
  });

  it("404 as plain text for a missing file, served files untouched, no session work", async () => {
    for (const path of ["/favicon.ico", "/robots.txt", "/images/missing.png", "/_build/assets/missing.js"]) {
      const response = await member.request(path, { headers: browser });
      expect(response.status, path).toBe(404);
      expect(response.headers.get("content-type"), path).toMatch(/^text\/plain/);
      expect(response.headers.get("set-cookie"), path).toBeNull();
      expect(response.headers.get("content-security-policy"), path).toBeTruthy();
      expect(await response.text(), path).toBe("Not found");
    }
    const icon = await new AppClient().request("/favicon.svg");
    expect(icon.status).toBe(200);
    expect(icon.headers.get("content-type")).toMatch(/^image\/svg/);
  });

  it("403 for a browser: a page in the site layout, signed in, with no data of the page", async () => {
    const response = await member.request("/moderation", { headers: browser });
    expect(response.status).toBe(403);
    expect(response.headers.get("cache-control")).toMatch(/no-store/);
    const body = await response.text();
    expectSitePage(response, body);
    expect(body).toContain("This page is for moderators.");
    expect(body).toContain("<title>Not allowed</title>");
    expect(body).toContain(email);
    expect(body).not.toContain("data-message-id");
  });

  it("403 as plain text only for a client that did not ask for HTML", async () => {
    for (const accept of [undefined, "*/*", "text/plain", "application/json"]) {
      const response = await member.request("/moderation", { headers: accept ? { accept } : {} });
      expect(response.status, String(accept)).toBe(403);
      expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
      expect(await response.text()).toBe("Forbidden: This page is for moderators.");
    }
  });

  it("the page is still there for moderators", async () => {
    const alice = await signedIn("alice@example.com");
    const response = await alice.request("/moderation", { headers: browser });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("data-message-id");
  });
});
