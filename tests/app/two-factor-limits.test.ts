import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createConfirmedUser } from "../fixtures/admin.ts";
import { AppClient } from "../fixtures/app-client.ts";
import { flashOf, withAppDatabase } from "../fixtures/auth-flows.ts";
import { uniqueEmail } from "../fixtures/mailbox.ts";
import { readSession } from "../fixtures/session-tokens.ts";
import { totpCode, wrongTotpCode } from "../fixtures/totp.ts";
import { enrolTotp } from "../fixtures/two-factor.ts";
import { type AppServer, startAppServer } from "../setup/app-server.ts";
import { freePort } from "local-supabase/testing";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

/** Where the password sends a user with a factor (ADR 0034's amendment): the code page, keeping `next`. */
const CODE_PAGE = "/two-factor?next=%2Fprotected";

/*
 * The per-user limit on second-factor codes (ADR 0042): 5 wrong codes per 5 minutes, counted by
 * the app's /two-factor form and, for codes that never pass it, by the MFA verification attempt
 * hook that GoTrue calls (supabase/config.toml, the migration's function). Right codes count in
 * neither.
 */

const PASSWORD = "two-factor-limits-password-1";
const WRONG_CODE = "That code is not right. Enter the current 6-digit code from your authenticator app.";
const REJECTED = "Too many wrong codes. You have been signed out; sign in again in a few minutes.";
const TOO_MANY = /^Too many attempts\. Try again in \d+ s\.$/;

function submitCode(client: AppClient, code: string): Promise<Response> {
  return client.submit("/two-factor?next=%2Fprotected", "verifySignInCode", { code, next: "/protected" });
}

/** A user with a verified factor, signed in (aal1) and waiting for the code page. */
async function userAtCodePage(label: string, base?: string) {
  const email = uniqueEmail(label);
  const user = await createConfirmedUser(email, PASSWORD);
  const owner = new AppClient({ base });
  await owner.signIn(email, PASSWORD, "/account");
  const { secret, factorId, confirmed } = await enrolTotp(owner);
  expect(confirmed.status).toBe(302);
  const client = new AppClient({ base });
  await client.signIn(email, PASSWORD, "/protected", CODE_PAGE);
  return { email, user, owner, client, secret, factorId };
}

/** A raw Auth API call with a user's access token, as an attacker holding it would make. */
async function authApi(path: string, token: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${inject("apiUrl")}/auth/v1${path}`, {
    method: "POST",
    headers: {
      apikey: inject("publishableKey"),
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      "x-supabase-api-version": "2024-01-01",
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function guessAtAuthApi(token: string, factorId: string, code: string) {
  const challenge = await authApi(`/factors/${factorId}/challenge`, token, {});
  expect(challenge.status).toBe(200);
  return authApi(`/factors/${factorId}/verify`, token, { challenge_id: challenge.body.id, code });
}

async function refreshes(refreshToken: string): Promise<number> {
  const response = await fetch(`${inject("apiUrl")}/auth/v1/token?grant_type=refresh_token`, {
    method: "POST",
    headers: { apikey: inject("publishableKey"), "content-type": "application/json" },
    body: JSON.stringify({ refresh_token: refreshToken }),
  });
  return response.status;
}

const moveWindows = (userId: string) =>
  withAppDatabase(
    (sql) => sql`update public.rate_limits set window_started_at = now() - interval '301 seconds'
                 where key in (${`second-factor-code:${userId}`}, ${`mfa-verification-attempt:${userId}`})`,
  );

describe("second-factor codes: only wrong ones count", () => {
  it("2 wrong and 3 right codes leave 3 more wrong ones to check; after the 5th wrong code the next is refused", async () => {
    const { email, client, secret } = await userAtCodePage("limit-right-codes");
    /** A new aal1 session: a right code ends the user's other aal1 sessions, as GoTrue does. */
    const signedIn = async () => {
      const fresh = new AppClient();
      await fresh.signIn(email, PASSWORD, "/protected", CODE_PAGE);
      return fresh;
    };
    for (let i = 0; i < 2; i++) expect(flashOf(await submitCode(client, wrongTotpCode(secret)))?.result).toBe(WRONG_CODE);
    for (let i = 0; i < 3; i++) {
      const right = await submitCode(await signedIn(), totpCode(secret));
      expect(right.headers.get("location")).toMatch(/\/protected$/);
    }
    const last = await signedIn();
    for (let i = 0; i < 3; i++) expect(flashOf(await submitCode(last, wrongTotpCode(secret)))?.result).toBe(WRONG_CODE);
    expect(String(flashOf(await submitCode(last, totpCode(secret)))?.result)).toMatch(TOO_MANY);
  });
});

describe("second-factor codes straight at the Auth API (the hook)", () => {
  it("a stolen aal1 token's 6th guess gets GoTrue's 403 mfa_verification_rejected and signs the user out everywhere; /two-factor then shows the app's message", async () => {
    const { email, user, owner, client, secret, factorId } = await userAtCodePage("limit-hook");
    const stolen = await readSession(client);
    const ownerSession = await readSession(owner);

    for (let i = 0; i < 5; i++) {
      const guess = await guessAtAuthApi(stolen.access_token, factorId, wrongTotpCode(secret));
      expect(guess).toMatchObject({ status: 422, body: { code: "mfa_verification_failed" } });
    }
    // The 6th is refused whatever the code: a right one too.
    const sixth = await guessAtAuthApi(stolen.access_token, factorId, totpCode(secret));
    expect(sixth).toEqual({ status: 403, body: { code: "mfa_verification_rejected", message: REJECTED } });
    // Every session of the user ended: the guesser's and the owner's aal2 one.
    expect(await refreshes(stolen.refresh_token)).toBe(400);
    expect(await refreshes(ownerSession.refresh_token)).toBe(400);

    // The owner signs in again: the app's own count saw none of those guesses, GoTrue's hook did.
    const back = new AppClient();
    await back.signIn(email, PASSWORD, "/protected", CODE_PAGE);
    const refused = await submitCode(back, totpCode(secret));
    expect(flashOf(refused)).toMatchObject({ error: true, result: REJECTED });

    await moveWindows(user.id);
    const later = new AppClient();
    await later.signIn(email, PASSWORD, "/protected", CODE_PAGE);
    expect((await submitCode(later, totpCode(secret))).headers.get("location")).toMatch(/\/protected$/);
  });
});

describe("concurrent code posts", () => {
  it("24 posts of the right code at once: each is accepted or refused by the limit, none fails", async () => {
    const { client, secret } = await userAtCodePage("limit-concurrent");
    const responses = await Promise.all(Array.from({ length: 24 }, () => submitCode(client, totpCode(secret))));
    const outcomes = responses.map((response) => {
      const flash = flashOf(response);
      return flash ? String(flash.result) : `${response.status} ${response.headers.get("location") ?? ""}`;
    });
    // A right code is never a failure: the redirect to the page asked for, or, while 5 other
    // checks are under way, the limit's answer (attempts are taken before the check).
    for (const outcome of outcomes) expect(outcome).toMatch(/^(302 .*\/protected|Too many attempts\. Try again in \d+ s\.)$/);
    expect(outcomes.some((outcome) => outcome.endsWith("/protected"))).toBe(true);
  });
});

describe("second-factor codes on two app instances", () => {
  let second: AppServer;
  beforeAll(async () => {
    second = await startAppServer(await freePort(), inject("appEnv"));
  });
  afterAll(async () => {
    await second?.stop();
  });

  it("wrong codes on either instance count toward one limit", async () => {
    const { client, secret } = await userAtCodePage("limit-instances");
    const other = new AppClient({ base: second.url, ip: client.ip });
    for (const [name, cookie] of client.jar) other.jar.set(name, cookie);
    for (const [index, on] of [client, other, client, other, client].entries()) {
      expect(flashOf(await submitCode(on, wrongTotpCode(secret)))?.result, `wrong code ${index + 1}`).toBe(WRONG_CODE);
    }
    for (const on of [other, client]) expect(String(flashOf(await submitCode(on, totpCode(secret)))?.result)).toMatch(TOO_MANY);
  });
});
