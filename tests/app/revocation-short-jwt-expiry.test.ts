import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalApp } from "../../scripts/local-env.ts";
import { AppClient } from "../fixtures/app-client.ts";
import { uniqueEmail } from "../fixtures/mailbox.ts";
import { expectRefused, expectServed, REVOCATION_CHECK_MS, tokenAges, trySurfaces } from "../fixtures/revocation.ts";
import { useServerFunctions } from "../fixtures/server-functions.ts";
import { readSession, sessionAtAge, sessionCookieName, type StoredSession } from "../fixtures/session-tokens.ts";
import { startDedicatedApp } from "../setup/app-server.ts";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

/*
 * A backend whose tokens live 60 s, less than the middleware's 90 s refresh margin: every token
 * the auth server issues is inside the margin for its whole life, so a revocation that only the
 * path for tokens outside it honours would never apply. The backend really issues such tokens
 * here; the app is the same build as everywhere else.
 */

const PASSWORD = "short-expiry-password-1";
const JWT_EXPIRY = 60;

const fn = useServerFunctions();

let local: LocalApp;
let base: string;
let admin: SupabaseClient;
let stop: (() => Promise<void>) | undefined;
/** POST /auth/v1/token requests the backend received (refreshes, sign-ins). */
let tokenRequests = 0;

beforeAll(async () => {
  const started = await startDedicatedApp("short_jwt_expiry", 1, {}, (config) => {
    config.auth.jwt_expiry = JWT_EXPIRY;
  });
  stop = started.stop;
  local = started.local;
  base = started.apps[0]?.url ?? "";
  admin = createClient(local.env.VITE_SUPABASE_URL, local.supabase.secretKey, {
    auth: { persistSession: false, autoRefreshToken: false },
  });
  local.supabase.apiServer.on("request", (request) => {
    if (request.method === "POST" && request.url?.startsWith("/auth/v1/token")) tokenRequests++;
  });
}, 120_000);

afterAll(async () => {
  await stop?.();
});

async function createUser(prefix: string): Promise<{ id: string; email: string }> {
  const email = uniqueEmail(prefix);
  const { data, error } = await admin.auth.admin.createUser({ email, password: PASSWORD, email_confirm: true });
  if (error || !data.user) throw error ?? new Error("no user");
  return { id: data.user.id, email };
}

async function signedIn(email: string): Promise<AppClient> {
  const client = new AppClient({ base });
  await client.signIn(email, PASSWORD, "/protected");
  return client;
}

/**
 * `session` with its token at each point of a 60 s life, signed by this backend. Minted just
 * before use, so each is at its age when it arrives, however slow the run.
 */
function copiesAtEveryAge(session: StoredSession): Promise<{ at: string; session: StoredSession }[]> {
  return Promise.all(
    tokenAges(JWT_EXPIRY).map(async ({ at, age }) => ({
      at,
      session: await sessionAtAge(session, age, JWT_EXPIRY, local.supabase.dataDir),
    })),
  );
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe("jwt_expiry = 60: every token lives inside the refresh margin", () => {
  it("sign-out everywhere applies to the other device at the start, middle and end of its token", async () => {
    const { email } = await createUser("short-everywhere");
    const phone = await signedIn(email);
    const laptop = await signedIn(email);
    const session = await readSession(laptop);
    const issued = decodeJwt(session.access_token);
    expect((issued.exp ?? 0) - (issued.iat ?? 0)).toBe(JWT_EXPIRY);
    for (const copy of await copiesAtEveryAge(session))
      expectServed(await trySurfaces(base, sessionCookieName(laptop), copy.session, fn), email, copy.at);

    const signedOut = await phone.submit("/account", "signOut", { scope: "global" });
    expect(signedOut.status).toBe(302);
    await pause(REVOCATION_CHECK_MS + 100);
    const before = tokenRequests;
    for (const copy of await copiesAtEveryAge(session))
      expectRefused(await trySurfaces(base, sessionCookieName(laptop), copy.session, fn), email, copy.at);
    expect(tokenRequests - before).toBe(0);
  });

  it("a refresh the auth server refuses (the user was banned) signs the device out instead of handing its token back", async () => {
    const { id, email } = await createUser("short-banned");
    const laptop = await signedIn(email);
    const { error } = await admin.auth.admin.updateUserById(id, { ban_duration: "24h" });
    if (error) throw error;
    const before = tokenRequests;
    // The token the backend issued at sign-in, as the device still holds it.
    expectRefused(await trySurfaces(base, sessionCookieName(laptop), await readSession(laptop), fn), email, "start");
    // Refused on the auth server's answer to the refresh: the session itself is still there.
    expect(tokenRequests - before).toBeGreaterThan(0);
  });

  it(
    "with the auth server unreachable a token still valid is served and its cookies kept, unless its session was revoked",
    { timeout: 60_000 },
    async () => {
      const revoked = await createUser("short-unreachable-revoked");
      const phone = await signedIn(revoked.email);
      const laptop = await signedIn(revoked.email);
      const laptopSession = await readSession(laptop);
      expectServed(await trySurfaces(base, sessionCookieName(laptop), laptopSession, fn), revoked.email, "before");
      const kept = await createUser("short-unreachable-kept");
      const other = await signedIn(kept.email);
      const otherSession = await readSession(other);

      expect((await phone.submit("/account", "signOut", { scope: "global" })).status).toBe(302);
      await pause(REVOCATION_CHECK_MS + 100);
      const apiPort = Number(new URL(local.supabase.apiUrl).port);
      await new Promise<void>((resolve) => {
        local.supabase.apiServer.close(() => resolve());
        local.supabase.apiServer.closeAllConnections();
      });
      try {
        expectRefused(await trySurfaces(base, sessionCookieName(laptop), laptopSession, fn), revoked.email, "revoked");
        // Nothing is known about this session but that it could not be refreshed yet.
        const page = await other.request("/protected");
        expect(page.status).toBe(200);
        expect(await page.text()).toContain(kept.email);
        expect(other.lastSetCookies).toEqual([]);
        expect((await readSession(other)).refresh_token).toBe(otherSession.refresh_token);
      } finally {
        await new Promise<void>((resolve) => local.supabase.apiServer.listen(apiPort, "127.0.0.1", () => resolve()));
      }
    },
  );
});
