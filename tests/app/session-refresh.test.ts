import { decodeJwt } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { createConfirmedUser } from "../fixtures/admin.ts";
import { AppClient } from "../fixtures/app-client.ts";
import { authCounts, expireAccessToken, readSession, resetAuthCounts } from "../fixtures/session-tokens.ts";

const PASSWORD = "password123";

/**
 * A user of the file's own: signing the seeded accounts in here would spend the per-account
 * sign-in limit the other files of the suite share.
 */
const ownEmail = `refresh-${crypto.randomUUID().slice(0, 8)}@example.com`;
beforeAll(async () => {
  await createConfirmedUser(ownEmail, PASSWORD);
});

async function signedIn(email = ownEmail): Promise<AppClient> {
  const client = new AppClient();
  await client.signIn(email, PASSWORD, "/protected");
  return client;
}

describe("session middleware", () => {
  it("with a valid access token: no Set-Cookie and not one request to the auth server", async () => {
    const client = await signedIn();
    // The process fetches the JWKS once, on its first verification; measure after that.
    await client.request("/protected");
    await resetAuthCounts();
    for (let i = 0; i < 3; i++) {
      const response = await client.request("/protected");
      expect(response.status).toBe(200);
      expect(await response.text()).toContain(ownEmail);
      expect(response.headers.getSetCookie().filter((cookie) => cookie.startsWith("sb-"))).toEqual([]);
    }
    expect(await authCounts()).toEqual({});
  });

  it("with an expired access token: refreshes once, rotates the cookies and renders as the user", async () => {
    const client = await signedIn();
    const before = await expireAccessToken(client);
    await resetAuthCounts();

    const response = await client.request("/protected");
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(ownEmail);
    expect(response.headers.get("cache-control")).toMatch(/private/);
    expect(response.headers.get("cache-control")).toMatch(/no-store/);
    const sessionCookies = response.headers.getSetCookie().filter((cookie) => cookie.startsWith("sb-"));
    expect(sessionCookies.length).toBeGreaterThan(0);
    for (const cookie of sessionCookies) {
      expect(cookie).toMatch(/; HttpOnly/i);
      expect(cookie).toMatch(/; SameSite=Lax/i);
      expect(cookie).toMatch(/; Path=\//i);
    }
    const after = await readSession(client);
    expect(after.refresh_token).not.toBe(before.refresh_token);
    expect(decodeJwt(after.access_token).exp).toBeGreaterThan(Date.now() / 1000);
    expect(await authCounts()).toEqual({ "POST /auth/v1/token": 1 });
  });

  it("50 parallel requests with the same expired session cause exactly one refresh", async () => {
    const client = await signedIn("carol@example.com");
    await expireAccessToken(client);
    const cookie = client.cookieHeader();
    await resetAuthCounts();

    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        fetch(new URL("/protected", client.base), {
          headers: { cookie, "x-forwarded-for": client.ip },
          redirect: "manual",
        }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
    const bodies = await Promise.all(responses.map((response) => response.text()));
    for (const body of bodies) expect(body).toContain("carol@example.com");
    const sessions = new Set(
      responses.map((response) =>
        response.headers
          .getSetCookie()
          .filter((value) => value.startsWith("sb-"))
          .map((value) => value.split(";")[0])
          .join("|"),
      ),
    );
    expect(sessions.size).toBe(1);
    expect([...sessions][0]).not.toBe("");
    expect(await authCounts()).toEqual({ "POST /auth/v1/token": 1 });
  });

  it("a session revoked everywhere from another device ends at its next refresh: cookies cleared, back to /login", async () => {
    const device = await signedIn("carol@example.com");
    const other = await signedIn("carol@example.com");
    const signOut = await other.submit("/logout", "signOut", { scope: "global" });
    expect(signOut.status).toBe(302);
    expect(other.sessionCookieNames()).toEqual([]);

    await expireAccessToken(device);
    const response = await device.request("/protected");
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/login?next=%2Fprotected");
    expect(device.sessionCookieNames()).toEqual([]);
  });
});
