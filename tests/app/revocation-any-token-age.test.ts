import { describe, expect, it } from "vitest";
import { adminClient, createConfirmedUser } from "../fixtures/admin.ts";
import { AppClient } from "../fixtures/app-client.ts";
import { withAppDatabase } from "../fixtures/auth-flows.ts";
import { uniqueEmail } from "../fixtures/mailbox.ts";
import { expectRefused, expectServed, REVOCATION_CHECK_MS, tokenAges, trySurfaces } from "../fixtures/revocation.ts";
import { useServerFunctions } from "../fixtures/server-functions.ts";
import { authCounts, readSession, resetAuthCounts, sessionAtAge, sessionCookieName } from "../fixtures/session-tokens.ts";

/*
 * Revocation seen from the other side: a device (or whoever copied its cookie) of a user whose
 * sessions were ended keeps sending that cookie, with its access token at any point of its life.
 * A token in its last 90 s is the trap: the middleware refreshes it instead of only checking it,
 * and auth-js answers a refused refresh of a token that has not expired yet with that same token.
 */

const PASSWORD = "any-age-password-1";
/** supabase/config.toml's jwt_expiry, which the test backend runs with. */
const JWT_EXPIRY = 3600;

const fn = useServerFunctions();

interface Victim {
  id: string;
  /** The device the revocation is started from (or whose token an admin holds). */
  phone: AppClient;
}

const revocations: { name: string; revoke: (victim: Victim) => Promise<void> }[] = [
  {
    name: "the user signs out on all devices from another one",
    revoke: async ({ phone }) => {
      const response = await phone.submit("/account", "signOut", { scope: "global" });
      expect(response.status).toBe(302);
    },
  },
  {
    name: "an admin signs the user out everywhere",
    revoke: async ({ phone }) => {
      const { error } = await adminClient().auth.admin.signOut((await readSession(phone)).access_token, "global");
      if (error) throw error;
    },
  },
  {
    name: "the user's sessions are deleted in the database",
    revoke: async ({ id }) => {
      await withAppDatabase((sql) => sql`delete from auth.sessions where user_id = ${id}`);
    },
  },
  {
    name: "an admin deletes the user",
    revoke: async ({ id }) => {
      const { error } = await adminClient().auth.admin.deleteUser(id);
      if (error) throw error;
    },
  },
];

async function signedIn(email: string): Promise<AppClient> {
  const client = new AppClient();
  await client.signIn(email, PASSWORD, "/protected");
  return client;
}

describe.each(revocations)("$name", ({ revoke }) => {
  it("another device is refused at the start, middle and last 90 s of its token: page, server function, Realtime token", async () => {
    const email = uniqueEmail("any-age");
    const user = await createConfirmedUser(email, PASSWORD);
    const phone = await signedIn(email);
    const laptop = await signedIn(email);
    const key = sessionCookieName(laptop);
    const session = await readSession(laptop);
    // Minted just before use, so each is at its age when it arrives, however slow the run.
    const copies = () =>
      Promise.all(
        tokenAges(JWT_EXPIRY).map(async ({ at, age }) => ({ at, session: await sessionAtAge(session, age, JWT_EXPIRY) })),
      );
    // Every copy works before, so only the revocation can end it (and the app has seen the session).
    for (const copy of await copies()) expectServed(await trySurfaces(laptop.base, key, copy.session, fn), email, copy.at);

    await revoke({ id: user.id, phone });
    await new Promise((resolve) => setTimeout(resolve, REVOCATION_CHECK_MS + 100));
    await resetAuthCounts();
    for (const copy of await copies()) expectRefused(await trySurfaces(laptop.base, key, copy.session, fn), email, copy.at);
    // The app's own session check refused them, the one in the margin too: not a refresh attempt.
    expect(await authCounts()).toEqual({});
  });
});

describe("a refresh the auth server refuses", () => {
  it("never hands back the old token: a session of a banned user, in its last 90 s, is signed out everywhere", async () => {
    const email = uniqueEmail("any-age-banned");
    const user = await createConfirmedUser(email, PASSWORD);
    const laptop = await signedIn(email);
    const [last] = tokenAges(JWT_EXPIRY).slice(-1);
    const expiring = await sessionAtAge(await readSession(laptop), last?.age ?? 0, JWT_EXPIRY);

    // A ban leaves the sessions in place (their tokens stay valid) but refuses every refresh.
    const { error } = await adminClient().auth.admin.updateUserById(user.id, { ban_duration: "24h" });
    if (error) throw error;
    await resetAuthCounts();
    expectRefused(await trySurfaces(laptop.base, sessionCookieName(laptop), expiring, fn), email, "last 90 s");
    // Refused on the auth server's answer to the refresh: the session itself is still there.
    expect((await authCounts())["POST /auth/v1/token"]).toBeGreaterThan(0);
  });
});
