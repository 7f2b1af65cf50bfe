import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { base64url, decodeJwt, generateKeyPair, SignJWT } from "jose";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { AppClient } from "../fixtures/app-client.ts";
import {
  authCounts,
  readSession,
  resetAuthCounts,
  signWithBackendKey,
  type StoredSession,
  writeSession,
} from "../fixtures/session-tokens.ts";

/**
 * Every forgery keeps a real, unexpired-looking session shape and a bogus refresh token, so the
 * only way in would be the access token itself being accepted.
 */
let template: StoredSession;
let cookieName: string;
let genuine: Record<string, unknown>;

beforeAll(async () => {
  const client = new AppClient();
  await client.signIn("alice@example.com", "password123", "/protected");
  template = await readSession(client);
  cookieName = client.sessionCookieNames()[0] as string;
  genuine = decodeJwt(template.access_token);
});

function unsigned(header: object, payload: object): string {
  const encode = (value: object) => base64url.encode(JSON.stringify(value));
  return `${encode(header)}.${encode(payload)}`;
}

const now = () => Math.floor(Date.now() / 1000);

const forgeries: [string, () => Promise<string>][] = [
  ["alg none", async () => `${unsigned({ alg: "none", typ: "JWT" }, { ...genuine, exp: now() + 3600 })}.`],
  [
    "HS256 signed with the public key",
    async () => {
      const keys = JSON.parse(await readFile(join(inject("authStateDir"), "auth-keys.json"), "utf8"));
      const secret = new TextEncoder().encode(JSON.stringify(keys.publicJwk));
      return new SignJWT({ ...genuine, exp: now() + 3600 }).setProtectedHeader({ alg: "HS256", kid: keys.kid }).sign(secret);
    },
  ],
  [
    "an unknown kid (another key pair)",
    async () => {
      const pair = await generateKeyPair("ES256");
      return new SignJWT({ ...genuine, exp: now() + 3600 })
        .setProtectedHeader({ alg: "ES256", kid: "not-a-published-kid" })
        .sign(pair.privateKey);
    },
  ],
  [
    "another key pair claiming the real kid",
    async () => {
      const keys = JSON.parse(await readFile(join(inject("authStateDir"), "auth-keys.json"), "utf8"));
      const pair = await generateKeyPair("ES256");
      return new SignJWT({ ...genuine, exp: now() + 3600 })
        .setProtectedHeader({ alg: "ES256", kid: keys.kid })
        .sign(pair.privateKey);
    },
  ],
  ["a wrong issuer", async () => signWithBackendKey({ ...genuine, iss: "https://evil.example/auth/v1", exp: now() + 3600 })],
  ["a wrong audience", async () => signWithBackendKey({ ...genuine, aud: "anon", exp: now() + 3600 })],
  ["an expired token (and a dead refresh token)", async () => signWithBackendKey({ ...genuine, exp: now() - 5 })],
  [
    "a tampered payload (sub swapped, signature kept)",
    async () => {
      const [header, , signature] = template.access_token.split(".");
      const payload = base64url.encode(JSON.stringify({ ...genuine, sub: "b0b00000-0000-4000-8000-000000000002" }));
      return `${header}.${payload}.${signature}`;
    },
  ],
  ["garbage", async () => "not.a.jwt"],
];

describe("forged or invalid access tokens never authenticate", () => {
  it.each(forgeries)("%s", async (_name, forge) => {
    const client = new AppClient();
    const token = await forge();
    writeSession(
      client,
      { ...template, access_token: token, refresh_token: "forgedrefresh", expires_at: now() + 3600 },
      cookieName,
    );

    const response = await client.request("/protected");
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/login?next=%2Fprotected");
    // The cookie that cannot authenticate is removed, so the browser stops presenting it.
    expect(client.sessionCookieNames()).toEqual([]);

    // A server function (reached after hydration, not through a page) sees no user either.
    writeSession(client, { ...template, access_token: token, refresh_token: "forgedrefresh" }, cookieName);
    const home = await (await client.request("/")).text();
    // The header names the signed-in user; on the local backend the page body lists the seeded
    // accounts (alice's address included) to everyone, so only the header can tell.
    const header = home.slice(home.indexOf("<header"), home.indexOf("</header>"));
    expect(header).toContain("Sign in");
    expect(header).not.toContain("alice@example.com");
  });
});

describe("tokens this process cannot verify itself go to the auth server's /user", () => {
  it("the auth server's own token under a key id not fetched yet (a rotation) is accepted, with one /user call", async () => {
    const client = new AppClient();
    const token = await signWithBackendKey({ ...genuine, exp: now() + 3600 }, { kid: `rotated-${Date.now()}` });
    writeSession(client, { ...template, access_token: token, expires_at: now() + 3600 }, cookieName);
    await resetAuthCounts();
    for (let i = 0; i < 3; i++) {
      const response = await client.request("/protected");
      expect(response.status).toBe(200);
      expect(await response.text()).toContain("alice@example.com");
    }
    expect((await authCounts())["GET /auth/v1/user"]).toBe(1);
    expect(client.sessionCookieNames()).toEqual([cookieName]);
  });

  it("a token the auth server accepts but issued for another project (issuer) is still refused", async () => {
    const client = new AppClient();
    const token = await signWithBackendKey(
      { ...genuine, iss: "https://evil.example/auth/v1", exp: now() + 3600 },
      { kid: `rotated-${Date.now()}` },
    );
    writeSession(
      client,
      { ...template, access_token: token, refresh_token: "forgedrefresh", expires_at: now() + 3600 },
      cookieName,
    );
    await resetAuthCounts();
    const response = await client.request("/protected");
    expect(response.headers.get("location")).toBe("/login?next=%2Fprotected");
    expect((await authCounts())["GET /auth/v1/user"]).toBe(1);
    expect(client.sessionCookieNames()).toEqual([]);
  });
});

describe("tokens with made-up key ids cannot make the app flood the auth server", () => {
  it("100 at once: none gets in, the JWKS is not refetched per token, the auth server is asked within the budget", async () => {
    const pair = await generateKeyPair("ES256");
    const clients = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const client = new AppClient();
        const token = await new SignJWT({ ...genuine, exp: now() + 3600 })
          .setProtectedHeader({ alg: "ES256", kid: `made-up-${i}-${Math.random()}` })
          .sign(pair.privateKey);
        writeSession(
          client,
          { ...template, access_token: token, refresh_token: "forgedrefresh", expires_at: now() + 3600 },
          cookieName,
        );
        return client;
      }),
    );
    await resetAuthCounts();
    const started = Date.now();
    const responses = await Promise.all(clients.map((client) => client.request("/protected")));
    const seconds = (Date.now() - started) / 1000;
    for (const response of responses) expect(response.headers.get("location")).toBe("/login?next=%2Fprotected");

    const counts = await authCounts();
    const asked = counts["GET /auth/v1/user"] ?? 0;
    expect(counts["GET /auth/v1/.well-known/jwks.json"] ?? 0).toBeLessThanOrEqual(1);
    expect(asked).toBeGreaterThan(0);
    // 20 a second with a burst of 40 (src/server/session/access-token.ts).
    expect(asked).toBeLessThanOrEqual(40 + Math.ceil(seconds * 20));
    expect(
      Object.keys(counts).filter((key) => key !== "GET /auth/v1/user" && key !== "GET /auth/v1/.well-known/jwks.json"),
    ).toEqual([]);
    // Refused by the auth server: cookie removed. Over the budget: signed out now, cookie kept.
    const removed = clients.filter((client) => client.sessionCookieNames().length === 0).length;
    expect(removed).toBe(asked);
  });
});
