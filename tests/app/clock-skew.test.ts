import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { AppClient } from "../fixtures/app-client.ts";
import { authCounts, readSession, resetAuthCounts, signWithBackendKey, writeSession } from "../fixtures/session-tokens.ts";

// The access token's exp comes from the auth server's clock; the cookie's expires_at is what
// auth-js stored. With the app's and the auth server's clocks apart (or a cookie written by
// another instance) they disagree: whichever says "expired" must lead to one refresh, and the
// user stays signed in.

async function signedIn(email: string): Promise<AppClient> {
  const client = new AppClient();
  await client.signIn(email, "password123", "/protected");
  return client;
}

async function expectRefreshedAndSignedIn(client: AppClient, email: string, before: { refresh_token: string }) {
  await resetAuthCounts();
  const response = await client.request("/protected");
  expect(response.status).toBe(200);
  expect(await response.text()).toContain(email);
  expect(client.lastSetCookies.filter((cookie) => /max-age=0/i.test(cookie) && /^sb-/.test(cookie))).toEqual([]);
  const after = await readSession(client);
  expect(after.refresh_token).not.toBe(before.refresh_token);
  expect(decodeJwt(after.access_token).exp).toBeGreaterThan(Date.now() / 1000 + 90);
  expect((await authCounts())["POST /auth/v1/token"]).toBe(1);
  // The refreshed session is plainly valid: the next request needs nothing.
  const next = await client.request("/protected");
  expect(next.status).toBe(200);
  expect(client.lastSetCookies).toEqual([]);
}

describe("clock skew between the app and the auth server", () => {
  it("token exp passed, cookie expires_at still ahead: refreshed, not signed out", async () => {
    const client = await signedIn("bob@example.com");
    const session = await readSession(client);
    const now = Math.floor(Date.now() / 1000);
    const claims = decodeJwt(session.access_token);
    const expired = await signWithBackendKey({ ...claims, iat: now - 3600, exp: now - 300 });
    writeSession(client, { ...session, access_token: expired, expires_at: now + 3000 });
    await expectRefreshedAndSignedIn(client, "bob@example.com", session);
  });

  it("cookie expires_at passed, token exp still ahead: refreshed as well", async () => {
    const client = await signedIn("carol@example.com");
    const session = await readSession(client);
    const now = Math.floor(Date.now() / 1000);
    writeSession(client, { ...session, expires_at: now - 300 });
    await expectRefreshedAndSignedIn(client, "carol@example.com", session);
  });

  it("token exp within the refresh margin, cookie expires_at far ahead: refreshed once", async () => {
    const client = await signedIn("alice@example.com");
    const session = await readSession(client);
    const now = Math.floor(Date.now() / 1000);
    const claims = decodeJwt(session.access_token);
    const expiring = await signWithBackendKey({ ...claims, iat: now - 3540, exp: now + 30 });
    writeSession(client, { ...session, access_token: expiring, expires_at: now + 3000 });
    await expectRefreshedAndSignedIn(client, "alice@example.com", session);
  });
});
