import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createConfirmedUser } from "../fixtures/admin.ts";
import { AppClient } from "../fixtures/app-client.ts";
import { postForm } from "../fixtures/auth-flows.ts";
import { type Balancer, startBalancer } from "../fixtures/balancer.ts";
import { uniqueEmail } from "../fixtures/mailbox.ts";
import { authCounts, expireAccessToken, readSession, resetAuthCounts } from "../fixtures/session-tokens.ts";
import { type AppServer, startAppServer } from "../setup/app-server.ts";
import { freePort } from "local-supabase/testing";

const PASSWORD = "instances-password-1";
/** The sign-in limit per account (src/server/db/rate-limit.ts): the next attempt is refused. */
const SIGN_IN_ATTEMPTS_PER_ACCOUNT = 10;
/** The middleware rereads the app_metadata version at most this often (ADR 0014). */
const CLAIMS_FRESHNESS_MS = 1_000;
/** And the session revocation version (ADR 0035). */
const SESSION_REVOCATION_MS = 1_000;

const run = promisify(execFile);

/**
 * The app claims to be stateless: sessions live in cookies, limits and data in Postgres. So a
 * second instance of the same build against the same backend, and a balancer without sticky
 * sessions in front of both, must change nothing a user can observe.
 */
let second: AppServer;
let balancer: Balancer;
const instances = () => [inject("appUrl"), second.url];

beforeAll(async () => {
  second = await startAppServer(await freePort(), inject("appEnv"));
  balancer = await startBalancer(instances());
});

afterAll(async () => {
  await balancer?.close();
  await second?.stop();
});

async function protectedPage(client: AppClient): Promise<{ status: number; location: string | null; body: string }> {
  const response = await client.request("/protected");
  return { status: response.status, location: response.headers.get("location"), body: await response.text() };
}

describe("two app instances behind a balancer", () => {
  it("the balancer spreads one client's requests over both instances", async () => {
    const before = [...balancer.served];
    const client = new AppClient({ base: balancer.url });
    for (let i = 0; i < 4; i++) expect((await client.request("/")).status).toBe(200);
    expect(balancer.served.map((count, index) => count - (before[index] ?? 0))).toEqual([2, 2]);
  });

  it("a session started on one instance is honoured by the other", async () => {
    const email = uniqueEmail("two-instances");
    await createConfirmedUser(email, PASSWORD);
    const [first, other] = instances();
    const onFirst = new AppClient({ base: first });
    await onFirst.signIn(email, PASSWORD, "/protected");
    const onOther = new AppClient({ base: other, ip: onFirst.ip });
    for (const [name, cookie] of onFirst.jar) onOther.jar.set(name, cookie);
    const page = await protectedPage(onOther);
    expect(page.status).toBe(200);
    expect(page.body).toContain(email);
  });

  it("parallel requests with one expired session, spread over both instances, all succeed as that user", async () => {
    const email = uniqueEmail("two-instances-refresh");
    await createConfirmedUser(email, PASSWORD);
    const client = new AppClient({ base: balancer.url });
    await client.signIn(email, PASSWORD, "/protected");
    const expired = await expireAccessToken(client);
    const cookie = client.cookieHeader();
    await resetAuthCounts();

    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(new URL("/protected", balancer.url), { headers: { cookie, "x-forwarded-for": client.ip }, redirect: "manual" }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    for (const body of await Promise.all(responses.map((response) => response.text()))) expect(body).toContain(email);

    // One refresh per instance at most (single-flight is per process); the second instance's
    // refresh of the same token falls in GoTrue's reuse interval and is answered, not refused.
    const refreshes = (await authCounts())["POST /auth/v1/token"] ?? 0;
    expect(refreshes).toBeGreaterThanOrEqual(1);
    expect(refreshes).toBeLessThanOrEqual(2);
    client.absorb(responses[0] as Response);
    const refreshed = await readSession(client);
    expect(refreshed.refresh_token).not.toBe(expired.refresh_token);
    for (let i = 0; i < 2; i++) expect((await protectedPage(client)).status).toBe(200);
  });

  it("a rate limit reached through one instance holds on the other", async () => {
    const email = uniqueEmail("two-instances-limit");
    await createConfirmedUser(email, PASSWORD);
    const [first, other] = instances();
    for (let i = 0; i < SIGN_IN_ATTEMPTS_PER_ACCOUNT; i++) {
      const response = await postForm(new AppClient({ base: first }), "/login", "signIn", {
        email,
        password: "wrong-password",
        next: "/",
      });
      expect(response.headers.get("location")).not.toBe("/");
    }
    const onOther = new AppClient({ base: other });
    const refused = await postForm(onOther, "/login", "signIn", { email, password: PASSWORD, next: "/" });
    expect(refused.headers.get("location")).not.toBe("/");
    expect(onOther.sessionCookieNames()).toEqual([]);
  });

  it("a role change applies on both instances within a second", async () => {
    const email = uniqueEmail("two-instances-role");
    await createConfirmedUser(email, PASSWORD);
    const clients = instances().map((base) => new AppClient({ base }));
    for (const client of clients) {
      await client.signIn(email, PASSWORD, "/protected");
      expect((await client.request("/moderation")).status).toBe(403);
    }
    await run(process.execPath, ["--import", "tsx", "scripts/role.ts", "grant", email, "moderator"], {
      env: { ...process.env, ADMIN_DATABASE_URL: inject("appDatabaseUrl") },
    });
    await new Promise((resolve) => setTimeout(resolve, CLAIMS_FRESHNESS_MS + 100));
    for (const client of clients) expect((await client.request("/moderation")).status).toBe(200);
  });

  it("signing out on all devices through one instance signs the other sessions out on both instances within a second", async () => {
    const email = uniqueEmail("two-instances-signout");
    await createConfirmedUser(email, PASSWORD);
    const bystanderEmail = uniqueEmail("two-instances-bystander");
    await createConfirmedUser(bystanderEmail, PASSWORD);
    const [first, other] = instances();
    const here = new AppClient({ base: first });
    const elsewhere = [new AppClient({ base: first }), new AppClient({ base: other })];
    const bystanders = [new AppClient({ base: first }), new AppClient({ base: other })];
    await here.signIn(email, PASSWORD, "/protected");
    for (const client of elsewhere) await client.signIn(email, PASSWORD, "/protected");
    for (const client of bystanders) await client.signIn(bystanderEmail, PASSWORD, "/protected");
    // Each instance has seen and checked these sessions before the sign-out.
    for (const client of [...elsewhere, ...bystanders]) expect((await protectedPage(client)).status).toBe(200);

    const signedOut = await postForm(here, "/logout", "signOut", { scope: "global" });
    expect(signedOut.status).toBe(302);
    expect(here.sessionCookieNames()).toEqual([]);

    await new Promise((resolve) => setTimeout(resolve, SESSION_REVOCATION_MS + 100));
    for (const client of elsewhere) {
      const page = await protectedPage(client);
      expect(page.status, client.base).toBe(302);
      expect(page.location).toBe("/login?next=%2Fprotected");
      expect(client.sessionCookieNames()).toEqual([]);
    }
    for (const client of bystanders) expect((await protectedPage(client)).status, client.base).toBe(200);
  });
});
