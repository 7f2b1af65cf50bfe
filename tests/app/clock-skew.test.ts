import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { createConfirmedUser } from "../fixtures/admin.ts";
import { AppClient } from "../fixtures/app-client.ts";
import { uniqueEmail } from "../fixtures/mailbox.ts";
import { authCounts, readSession, resetAuthCounts, signWithBackendKey, writeSession } from "../fixtures/session-tokens.ts";

// The access token's exp comes from the auth server's clock; the cookie's expires_at is what
// auth-js stored. With the app's and the auth server's clocks apart (or a cookie written by
// another instance) they disagree: whichever says "expired" must lead to one refresh, and the
// user stays signed in.

const PASSWORD = "clock-skew-password-1";

/** A user of its own (the seed's accounts have a per-account sign-in limit other files spend). */
async function signedIn(prefix: string): Promise<{ client: AppClient; email: string }> {
  const email = uniqueEmail(prefix);
  await createConfirmedUser(email, PASSWORD);
  const client = new AppClient();
  await client.signIn(email, PASSWORD, "/protected");
  return { client, email };
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
    const { client, email } = await signedIn("skew-exp");
    const session = await readSession(client);
    const now = Math.floor(Date.now() / 1000);
    const claims = decodeJwt(session.access_token);
    const expired = await signWithBackendKey({ ...claims, iat: now - 3600, exp: now - 300 });
    writeSession(client, { ...session, access_token: expired, expires_at: now + 3000 });
    await expectRefreshedAndSignedIn(client, email, session);
  });

  it("cookie expires_at passed, token exp still ahead: refreshed as well", async () => {
    const { client, email } = await signedIn("skew-expires-at");
    const session = await readSession(client);
    const now = Math.floor(Date.now() / 1000);
    writeSession(client, { ...session, expires_at: now - 300 });
    await expectRefreshedAndSignedIn(client, email, session);
  });

  it("token exp within the refresh margin, cookie expires_at far ahead: refreshed once", async () => {
    const { client, email } = await signedIn("skew-margin");
    const session = await readSession(client);
    const now = Math.floor(Date.now() / 1000);
    const claims = decodeJwt(session.access_token);
    const expiring = await signWithBackendKey({ ...claims, iat: now - 3540, exp: now + 30 });
    writeSession(client, { ...session, access_token: expiring, expires_at: now + 3000 });
    await expectRefreshedAndSignedIn(client, email, session);
  });
});
