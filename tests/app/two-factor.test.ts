import { decodeJwt } from "jose";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminClient, createConfirmedUser } from "../fixtures/admin.ts";
import { AppClient } from "../fixtures/app-client.ts";
import {
  flashOf,
  localProviderCallback,
  openVerifyLink,
  sessionSetCookies,
  submitForm,
  visibleText,
  withAppDatabase,
} from "../fixtures/auth-flows.ts";
import { linkIn, uniqueEmail, waitForMail } from "../fixtures/mailbox.ts";
import { callServerFunction, exposedText, useServerFunctions } from "../fixtures/server-functions.ts";
import { readSession } from "../fixtures/session-tokens.ts";
import { totpCode, wrongTotpCode } from "../fixtures/totp.ts";
import { enrolTotp } from "../fixtures/two-factor.ts";
import { type AppServer, startDedicatedApp } from "../setup/app-server.ts";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

/*
 * Two-factor sign-in over HTTP against the built app, as a browser without JavaScript does it
 * (forms, redirects, cookies) and as the page's JavaScript calls server functions. The test
 * computes the codes the way the user's authenticator app would, from the key the page shows.
 */

const PASSWORD = "two-factor-password-1";
const WRONG_CODE = "That code is not right. Enter the current 6-digit code from your authenticator app.";
const browser = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };

const serverFunction = useServerFunctions();

/** Where a response redirects, as a path (no-JS action redirects are absolute URLs). */
function locationOf(response: Response): string | null {
  const location = response.headers.get("location");
  if (!location) return null;
  const url = new URL(location, "http://app.invalid");
  return `${url.pathname}${url.search}`;
}

async function aal(client: AppClient): Promise<unknown> {
  return decodeJwt((await readSession(client)).access_token).aal;
}

async function makeModerator(userId: string): Promise<void> {
  const { error } = await adminClient().auth.admin.updateUserById(userId, { app_metadata: { user_role: "moderator" } });
  if (error) throw error;
}

/** Enrols from /account/security/setup as a user does; returns the key the page showed. */
async function enrol(client: AppClient): Promise<{ secret: string }> {
  const { setup, page, secret, code, confirmed } = await enrolTotp(client);
  expect(setup.status).toBe(200);
  expect(setup.headers.get("cache-control")).toMatch(/no-store/);
  expect(page).toMatch(/<img [^>]*class="qr-code" src="data:image\/svg\+xml;charset=utf-8,%3Csvg/);
  // The key travels in the page only.
  expect(setup.headers.getSetCookie().join("\n")).not.toContain(secret);
  expect([...setup.headers.values()].join("\n")).not.toContain(secret);

  expect(confirmed.status).toBe(302);
  expect(locationOf(confirmed)).toBe("/account/security?added=1");
  expect(sessionSetCookies(confirmed).length).toBeGreaterThan(0);
  for (const value of [code, secret]) expect(exposedText(confirmed, new Uint8Array())).not.toContain(value);
  expect(await aal(client)).toBe("aal2");
  return { secret };
}

async function signOut(client: AppClient): Promise<void> {
  const response = await client.submit("/account", "signOut", { scope: "local" });
  expect(response.status).toBe(302);
  expect(client.sessionCookieNames()).toEqual([]);
}

/** The code page that must come first after signing in with a factor, leading on to `next`. */
function codePage(next: string): string {
  return `/two-factor?next=${encodeURIComponent(next)}`;
}

/** Signs a user with a factor in with the password form: the app sends them to the code page. */
function signInAwaitingCode(client: AppClient, email: string, next: string): Promise<Response> {
  return client.signIn(email, PASSWORD, next, codePage(next));
}

/** A no-JS post of the code page's form; returns the response. */
function submitCode(client: AppClient, code: string, next = "/protected"): Promise<Response> {
  return client.submit(`/two-factor?next=${encodeURIComponent(next)}`, "verifySignInCode", { code, next });
}

describe("two-factor sign-in", () => {
  it("enrol, sign out, sign in: the code page comes before anything protected; the right code makes the session aal2", async () => {
    const email = uniqueEmail("totp");
    await createConfirmedUser(email, PASSWORD);
    const client = new AppClient();
    await client.signIn(email, PASSWORD, "/account");

    const account = await client.follow("/account");
    expect(account.body).toContain('href="/account/security"');
    const before = await client.follow("/account/security");
    expect(before.body).toContain("Two-factor sign-in is off");

    const { secret } = await enrol(client);
    const listed = await client.follow("/account/security?added=1");
    expect(listed.body).toContain("Your authenticator apps");
    expect(listed.body).toContain("Authenticator app 1");

    await signOut(client);
    await signInAwaitingCode(client, email, "/protected");
    expect(await aal(client)).toBe("aal1");

    // Every protected page, and the loaders behind them, send the aal1 session to the code page.
    for (const path of ["/protected", "/account", "/account/security", "/messages"]) {
      const refused = await client.request(path, { headers: browser });
      expect(refused.status, path).toBe(302);
      expect(refused.headers.get("location"), path).toBe(`/two-factor?next=${encodeURIComponent(path)}`);
    }
    // A server function's redirect: SolidStart answers 200 with Location for its client to follow.
    const loader = await callServerFunction(client, serverFunction("getProtectedPage", "query"), { args: [] });
    expect(locationOf(loader.response)).toBe("/two-factor?next=%2F");
    expect(new TextDecoder().decode(loader.bytes)).not.toContain(email);

    const codePage = await client.follow("/two-factor?next=%2Fprotected");
    expect(codePage.response.status).toBe(200);
    expect(codePage.body).toContain("Enter your code");
    expect(codePage.body).toContain("signOut");

    const wrong = await submitCode(client, wrongTotpCode(secret));
    expect(flashOf(wrong)).toMatchObject({ error: true, result: WRONG_CODE });
    expect(await aal(client)).toBe("aal1");

    const right = await submitCode(client, totpCode(secret));
    expect(right.status).toBe(302);
    expect(locationOf(right)).toBe("/protected");
    expect(sessionSetCookies(right).length).toBeGreaterThan(0);
    expect(await aal(client)).toBe("aal2");
    const protectedPage = await client.follow("/protected");
    expect(protectedPage.url.pathname).toBe("/protected");
    expect(protectedPage.body).toContain(email);
    // Nothing left to enter: the code page sends an aal2 session on.
    expect((await client.follow("/two-factor?next=%2Faccount")).url.pathname).toBe("/account");
  });

  it("a wrong code is a 422 with a message (JS) and the form's error (no JS); codes never reach a cookie; after 5 wrong codes in 5 minutes the next is refused", async () => {
    const email = uniqueEmail("totp-wrong");
    const user = await createConfirmedUser(email, PASSWORD);
    const client = new AppClient();
    await client.signIn(email, PASSWORD, "/account");
    const { secret } = await enrol(client); // a right code: it does not count
    await signOut(client);
    await signInAwaitingCode(client, email, "/protected");

    const verify = serverFunction("verifySignInCode", "action");
    const form = (code: string) => {
      const fields = new FormData();
      fields.set("code", code);
      fields.set("next", "/protected");
      return fields;
    };
    const bad = wrongTotpCode(secret);
    const withJs = await callServerFunction(client, verify, { form: form(bad) }, { referer: `${client.base}/two-factor` });
    expect(withJs.response.status).toBe(422);
    expect(String((withJs.value as Error).message)).toBe(WRONG_CODE);
    expect(exposedText(withJs.response, withJs.bytes)).not.toContain(bad);

    const malformed = await callServerFunction(client, verify, { form: form("12ab") }, { referer: `${client.base}/two-factor` });
    expect(malformed.response.status).toBe(422);
    expect(String((malformed.value as Error).message)).toBe("Enter the 6-digit code from your authenticator app.");

    const noJs = await submitCode(client, bad);
    expect(noJs.status).toBe(302);
    expect(flashOf(noJs)).toMatchObject({ error: true, result: WRONG_CODE });
    expect(noJs.headers.getSetCookie().join("\n")).not.toContain(bad);

    // 2 wrong codes so far (the enrolment's right one and the malformed one do not count): the
    // 3rd to 5th wrong ones are still checked, the attempt after them is refused, right code or not.
    for (let i = 0; i < 3; i++) expect(flashOf(await submitCode(client, bad))).toMatchObject({ result: WRONG_CODE });
    const limited = await callServerFunction(
      client,
      verify,
      { form: form(totpCode(secret)) },
      { referer: `${client.base}/two-factor` },
    );
    expect(limited.response.status).toBe(429);
    expect(String((limited.value as Error).message)).toMatch(/^Too many attempts\. Try again in \d+ s\.$/);
    expect(await aal(client)).toBe("aal1");

    // The limit is per user and lives in Postgres: a fresh client (another IP) is refused too.
    const other = new AppClient();
    await signInAwaitingCode(other, email, "/protected");
    expect(String(flashOf(await submitCode(other, totpCode(secret)))?.result)).toMatch(/^Too many attempts/);

    // Five minutes later (moved windows: the app's, and the Auth hook's, which saw the same wrong
    // codes): the right code works.
    await withAppDatabase(
      (sql) => sql`update public.rate_limits set window_started_at = now() - interval '301 seconds'
                   where key in (${`second-factor-code:${user.id}`}, ${`mfa-verification-attempt:${user.id}`})`,
    );
    const right = await submitCode(client, totpCode(secret));
    expect(locationOf(right)).toBe("/protected");
    expect(await aal(client)).toBe("aal2");
  });

  it("after a magic link too, the aal1 session goes to the code page before /protected", async () => {
    const email = uniqueEmail("totp-magic");
    await createConfirmedUser(email, PASSWORD);
    const client = new AppClient();
    await client.signIn(email, PASSWORD, "/account");
    const { secret } = await enrol(client);
    await signOut(client);

    const sent = await submitForm(client, "/login?next=%2Fprotected", "sendMagicLink", { email, next: "/protected" });
    expect(visibleText(sent.body)).toContain("a sign-in link is on its way");
    const callback = await openVerifyLink(linkIn((await waitForMail(email, /Magic Link/)).text, "verify"));
    const landed = await client.request(`${callback.pathname}${callback.search}`);
    expect(locationOf(landed)).toBe(codePage("/protected"));
    expect(await aal(client)).toBe("aal1");
    const guarded = await client.request("/protected", { headers: browser });
    expect(locationOf(guarded)).toBe("/two-factor?next=%2Fprotected");
    expect(locationOf(await submitCode(client, totpCode(secret)))).toBe("/protected");
    expect((await client.request("/protected", { headers: browser })).status).toBe(200);
  });

  it("without JavaScript, the password form sends a user with a factor straight to the code page with their next; nothing shows them signed in before the code", async () => {
    const email = uniqueEmail("totp-landing");
    await createConfirmedUser(email, PASSWORD);
    const client = new AppClient();
    await client.signIn(email, PASSWORD, "/account");
    const { secret } = await enrol(client);
    await signOut(client);

    const signedIn = await client.submit("/login?next=%2Fmessages", "signIn", { email, password: PASSWORD, next: "/messages" });
    expect(signedIn.status).toBe(302);
    expect(signedIn.headers.get("location")).toBe("/two-factor?next=%2Fmessages");
    expect(sessionSetCookies(signedIn).length).toBeGreaterThan(0);

    // A page anyone may see does not name them, in the header or in the layout's loader.
    const home = await client.follow("/");
    expect(home.url.pathname).toBe("/");
    expect(home.body).not.toContain(email);
    expect(home.body).not.toContain('data-testid="signed-in-as"');
    const user = await callServerFunction(client, serverFunction("getCurrentUser", "query"), { args: [] });
    expect(user.response.status).toBe(200);
    expect(user.value).toBeNull();

    const right = await submitCode(client, totpCode(secret), "/messages");
    expect(locationOf(right)).toBe("/messages");
    const messages = await client.follow("/messages");
    expect(messages.url.pathname).toBe("/messages");
    expect(messages.body).toContain('data-testid="signed-in-as"');
    expect(messages.body).toContain(email);
  });

  it("after the local provider (OAuth), and from the code page's own calls, next is kept", async () => {
    const email = uniqueEmail("totp-oauth");
    await createConfirmedUser(email, PASSWORD);
    const client = new AppClient();
    await client.signIn(email, PASSWORD, "/account");
    await enrol(client);
    await signOut(client);

    const callback = await localProviderCallback(client, email, "/messages");
    const landed = await client.request(`${callback.pathname}${callback.search}`);
    expect(locationOf(landed)).toBe(codePage("/messages"));
    expect(await aal(client)).toBe("aal1");
    // A protected page's loader called from the code page (a link followed there with
    // JavaScript) leads back to the same code page, not to one inside it.
    const loader = await callServerFunction(
      client,
      serverFunction("getProtectedPage", "query"),
      { args: [] },
      { referer: `${client.base}${codePage("/messages")}` },
    );
    expect(locationOf(loader.response)).toBe(codePage("/messages"));
  });

  it("removing the factor turns the code page off for the next sign-in", async () => {
    const email = uniqueEmail("totp-remove");
    await createConfirmedUser(email, PASSWORD);
    const client = new AppClient();
    await client.signIn(email, PASSWORD, "/account");
    await enrol(client);
    const page = await client.follow("/account/security");
    const factorId = /name="factor_id" value="([0-9a-f-]{36})"/.exec(page.body)?.[1] as string;
    const removed = await client.submit("/account/security", "removeFactor", { factor_id: factorId });
    expect(locationOf(removed)).toBe("/account/security?removed=1");
    expect(await aal(client)).toBe("aal1");
    expect((await client.follow("/account/security")).body).toContain("Two-factor sign-in is off");
    await signOut(client);
    await client.signIn(email, PASSWORD, "/protected");
    expect((await client.request("/protected", { headers: browser })).status).toBe(200);
  });

  it("a moderator with a factor: the aal1 session is refused by the guard and the loader; aal2 moderates", async () => {
    const email = uniqueEmail("totp-moderator");
    const user = await createConfirmedUser(email, PASSWORD);
    await makeModerator(user.id);
    const client = new AppClient();
    await client.signIn(email, PASSWORD, "/account");
    expect((await client.request("/moderation", { headers: browser })).status).toBe(200);
    const { secret } = await enrol(client);
    await signOut(client);

    await signInAwaitingCode(client, email, "/moderation");
    const guard = await client.request("/moderation", { headers: browser });
    expect(guard.status).toBe(302);
    expect(guard.headers.get("location")).toBe("/two-factor?next=%2Fmoderation");
    const queue = serverFunction("getModerationQueue", "query");
    const loader = await callServerFunction(client, queue, { args: [] }, { referer: `${client.base}/moderation` });
    expect(locationOf(loader.response)).toBe("/two-factor?next=%2Fmoderation");
    expect(new TextDecoder().decode(loader.bytes)).not.toContain("messages");

    const right = await submitCode(client, totpCode(secret), "/moderation");
    expect(locationOf(right)).toBe("/moderation");
    const moderation = await client.follow("/moderation");
    expect(moderation.url.pathname).toBe("/moderation");
    expect(moderation.body).toMatch(/>Moderation<\/h1>/);
    const allowed = await callServerFunction(client, queue, { args: [] }, { referer: `${client.base}/moderation` });
    expect(allowed.response.status).toBe(200);
    expect(allowed.value).toMatchObject({ me: user.id });
  });
});

describe("MODERATORS_REQUIRE_FACTOR=1", () => {
  let app: AppServer;
  let stopAll: (() => Promise<void>) | undefined;
  let admin: ReturnType<typeof adminClient>;
  let adminDatabaseUrl: string;
  beforeAll(async () => {
    const started = await startDedicatedApp("require_factor", 1, { MODERATORS_REQUIRE_FACTOR: "1" });
    app = started.apps[0] as AppServer;
    stopAll = started.stop;
    adminDatabaseUrl = started.local.env.ADMIN_DATABASE_URL as string;
    admin = (await import("@supabase/supabase-js")).createClient(
      started.local.env.VITE_SUPABASE_URL as string,
      started.local.supabase.secretKey,
      { auth: { persistSession: false, autoRefreshToken: false } },
    );
  }, 120_000);
  afterAll(async () => {
    await stopAll?.();
  });

  it("the app wrote the setting for the policies", async () => {
    // Written in the background of the first request that is not for a static file.
    await (await fetch(`${app.url}/login`)).text();
    const sql = postgres(adminDatabaseUrl, { max: 1, onnotice: () => undefined });
    try {
      const read = async () => (await sql`select moderators_require_factor from public.moderation_settings`)[0];
      let row = await read();
      for (let tries = 0; !row?.moderators_require_factor && tries < 100; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        row = await read();
      }
      expect(row).toEqual({ moderators_require_factor: true });
    } finally {
      await sql.end();
    }
  });

  it("a moderator without a factor is sent to enrol, by the guard and the loader; enrolled (aal2), they moderate", async () => {
    const email = uniqueEmail("must-enrol");
    const { data, error } = await admin.auth.admin.createUser({
      email,
      password: PASSWORD,
      email_confirm: true,
      app_metadata: { user_role: "moderator" },
    });
    if (error || !data.user) throw error ?? new Error("no user");
    const client = new AppClient({ base: app.url });
    await client.signIn(email, PASSWORD, "/account");

    const guard = await client.request("/moderation", { headers: browser });
    expect(guard.status).toBe(302);
    expect(guard.headers.get("location")).toBe("/account/security?required=moderation");
    const loader = await callServerFunction(client, serverFunction("getModerationQueue", "query"), { args: [] });
    expect(locationOf(loader.response)).toBe("/account/security?required=moderation");
    expect((await client.follow("/account/security?required=moderation")).body).toContain("Moderating needs two-factor sign-in");

    await enrol(client);
    const moderation = await client.follow("/moderation");
    expect(moderation.url.pathname).toBe("/moderation");
    expect(moderation.body).toMatch(/>Moderation<\/h1>/);
  });
});
