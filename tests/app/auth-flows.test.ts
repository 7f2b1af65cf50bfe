import { describe, expect, it } from "vitest";
import { createConfirmedUser } from "../fixtures/admin.ts";
import { AppClient } from "../fixtures/app-client.ts";
import {
  flashOf,
  isPrivateNoStore,
  localProviderCallback,
  openVerifyLink,
  postForm,
  sessionSetCookies,
  submitForm,
  visibleText,
  withAppDatabase,
} from "../fixtures/auth-flows.ts";
import { linkIn, uniqueEmail, waitForMail } from "../fixtures/mailbox.ts";
import { expireAccessToken } from "../fixtures/session-tokens.ts";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

const PASSWORD = "flow-password-1";

/** The page a signed-in user sees at /protected, or where a signed-out one is sent. */
async function protectedPageOf(client: AppClient): Promise<{ path: string; text: string }> {
  const { url, body } = await client.follow("/protected");
  return { path: `${url.pathname}${url.search}`, text: visibleText(body) };
}

async function expectSignedInAs(client: AppClient, email: string): Promise<void> {
  const page = await protectedPageOf(client);
  expect(page.path).toBe("/protected");
  expect(page.text).toContain(email);
}

async function expectSignedOut(client: AppClient): Promise<void> {
  expect((await protectedPageOf(client)).path).toBe("/login?next=%2Fprotected");
}

/** A 303 from /auth/confirm or /auth/callback that signed the browser in. */
function expectSessionRedirect(response: Response, location: string): void {
  expect(response.status).toBe(303);
  expect(response.headers.get("location")).toBe(location);
  expect(sessionSetCookies(response).length).toBeGreaterThan(0);
  expect(isPrivateNoStore(response)).toBe(true);
}

async function loginNotice(client: AppClient, location: string): Promise<string> {
  const { url, body } = await client.follow(location);
  expect(url.pathname).toBe("/login");
  return visibleText(body);
}

describe("sign up with email confirmation", () => {
  it("mail → /auth/confirm?token_hash&type=signup&next → signed in on next", async () => {
    const email = uniqueEmail("signup");
    const browser = new AppClient();
    const signedUp = await submitForm(browser, "/signup?next=/protected", "signUp", {
      email,
      password: PASSWORD,
      next: "/protected",
    });
    expect(signedUp.url.pathname).toBe("/signup");
    expect(visibleText(signedUp.body)).toContain(`Check your email: we sent a confirmation link to ${email}`);
    expect(browser.sessionCookieNames()).toEqual([]);

    // Not confirmed yet: password sign-in is refused with the reason.
    const early = await postForm(browser, "/login", "signIn", { email, password: PASSWORD, next: "/protected" });
    expect(flashOf(early)).toMatchObject({ error: true, result: expect.stringContaining("Confirm your email address first") });
    expect(browser.sessionCookieNames()).toEqual([]);

    const mail = await waitForMail(email, /Confirm Your Signup/);
    const link = new URL(linkIn(mail.text, "app"));
    expect(link.origin).toBe(new URL(browser.base).origin);
    expect(link.pathname).toBe("/auth/confirm");
    expect(link.searchParams.get("type")).toBe("signup");
    expect(link.searchParams.get("token_hash")).toBeTruthy();
    expect(link.searchParams.get("next")).toBe("/protected");

    // A token_hash link works in any browser (no PKCE verifier needed): open it in a fresh one.
    const phone = new AppClient();
    const confirmed = await phone.request(`${link.pathname}${link.search}`);
    expectSessionRedirect(confirmed, "/protected");
    await expectSignedInAs(phone, email);

    // Confirmed: password sign-in works now.
    await browser.signIn(email, PASSWORD, "/protected");
    await expectSignedInAs(browser, email);
  });

  it("signing up with a taken address looks like any sign-up (no account enumeration) and signs no one in", async () => {
    const email = uniqueEmail("dupe");
    await createConfirmedUser(email, PASSWORD);
    const client = new AppClient();
    const again = await submitForm(client, "/signup", "signUp", { email, password: "another-password-9", next: "/" });
    expect(visibleText(again.body)).toContain(`Check your email: we sent a confirmation link to ${email}`);
    expect(client.sessionCookieNames()).toEqual([]);
  });

  it("refuses a short password before calling the auth server", async () => {
    const email = uniqueEmail("short");
    const answer = await postForm(new AppClient(), "/signup", "signUp", { email, password: "short", next: "/" });
    expect(flashOf(answer)).toMatchObject({ error: true, result: "Use at least 8 characters." });
    await expect(waitForMail(email, /Confirm/, 300)).rejects.toThrow(/no mail/);
  });
});

describe("password sign-in", () => {
  it("sets httpOnly session cookies on a private, no-store redirect to next", async () => {
    const email = uniqueEmail("password");
    await createConfirmedUser(email, PASSWORD);
    const client = new AppClient();
    const response = await postForm(client, "/login?next=/protected", "signIn", {
      email,
      password: PASSWORD,
      next: "/protected",
    });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/protected");
    expect(isPrivateNoStore(response)).toBe(true);
    const cookies = sessionSetCookies(response);
    expect(cookies.length).toBeGreaterThan(0);
    for (const cookie of cookies) expect(cookie).toMatch(/; HttpOnly/i);
    await expectSignedInAs(client, email);
  });

  it("answers a wrong password and an unknown address with the same message", async () => {
    const email = uniqueEmail("wrong");
    await createConfirmedUser(email, PASSWORD);
    const client = new AppClient();
    const wrong = await postForm(client, "/login", "signIn", { email, password: "not-the-password", next: "/" });
    const unknown = await postForm(client, "/login", "signIn", { email: uniqueEmail("nobody"), password: PASSWORD, next: "/" });
    expect(flashOf(wrong)).toEqual({ error: true, thrown: true, result: "Invalid email or password." });
    expect(flashOf(unknown)).toEqual(flashOf(wrong));
    expect(client.sessionCookieNames()).toEqual([]);
  });
});

describe("magic link", () => {
  async function requestLink(client: AppClient, email: string, next: string): Promise<string> {
    const sent = await submitForm(client, `/login?next=${encodeURIComponent(next)}`, "sendMagicLink", { email, next });
    expect(visibleText(sent.body)).toContain("If that address has an account, a sign-in link is on its way.");
    return (await waitForMail(email, /Magic Link/)).text;
  }

  it("the mail's main link: verify → /auth/callback?code&next → signed in on next (same browser)", async () => {
    const email = uniqueEmail("magic");
    await createConfirmedUser(email, PASSWORD);
    const browser = new AppClient();
    const mail = await requestLink(browser, email, "/protected");
    const callback = await openVerifyLink(linkIn(mail, "verify"));
    expect(callback.origin).toBe(new URL(browser.base).origin);
    expect(callback.pathname).toBe("/auth/callback");
    expect(callback.searchParams.get("code")).toBeTruthy();
    expect(callback.searchParams.get("next")).toBe("/protected");

    const landed = await browser.request(`${callback.pathname}${callback.search}`);
    expectSessionRedirect(landed, "/protected");
    await expectSignedInAs(browser, email);

    // The same mail link again: the token is spent, the user gets a friendly "expired" notice.
    const again = await openVerifyLink(linkIn(mail, "verify"));
    expect(again.searchParams.get("code")).toBeNull();
    const refused = await new AppClient().request(`${again.pathname}${again.search}`);
    expect(refused.headers.get("location")).toBe("/login?error=link_expired&next=%2Fprotected");
    expect(await loginNotice(new AppClient(), refused.headers.get("location") as string)).toContain("That link has expired.");
  });

  it("the mail's app link: /auth/confirm?token_hash=pkce_…&type=magiclink signs in, in any browser", async () => {
    const email = uniqueEmail("magic-app");
    await createConfirmedUser(email, PASSWORD);
    const mail = await requestLink(new AppClient(), email, "/protected");
    const link = new URL(linkIn(mail, "app"));
    expect(link.searchParams.get("type")).toBe("magiclink");
    const other = new AppClient();
    const landed = await other.request(`${link.pathname}${link.search}`);
    expect(landed.status).toBe(303);
    expect(new URL(landed.headers.get("location") as string, other.base).origin).toBe(new URL(other.base).origin);
    expect(sessionSetCookies(landed).length).toBeGreaterThan(0);
    await expectSignedInAs(other, email);

    // Reused: GoTrue answers otp_expired for a spent token hash.
    const reused = await new AppClient().request(`${link.pathname}${link.search}`);
    expect(reused.headers.get("location")).toMatch(/^\/login\?error=link_expired&next=/);
  });

  it("asks for the same browser when the code arrives without its PKCE verifier", async () => {
    const email = uniqueEmail("magic-other");
    await createConfirmedUser(email, PASSWORD);
    const mail = await requestLink(new AppClient(), email, "/protected");
    const callback = await openVerifyLink(linkIn(mail, "verify"));
    const elsewhere = new AppClient();
    const response = await elsewhere.request(`${callback.pathname}${callback.search}`);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/login?error=link_other_browser&next=%2Fprotected");
    expect(sessionSetCookies(response).filter((cookie) => !/Max-Age=0/i.test(cookie))).toEqual([]);
    expect(await loginNotice(elsewhere, response.headers.get("location") as string)).toContain(
      "Open the link in the browser you requested it from",
    );
    await expectSignedOut(elsewhere);
  });

  it("does not reveal whether an address has an account", async () => {
    const sent = await submitForm(new AppClient(), "/login", "sendMagicLink", { email: uniqueEmail("ghost"), next: "/" });
    expect(visibleText(sent.body)).toContain("If that address has an account, a sign-in link is on its way.");
  });
});

describe("forgot password", () => {
  it("recovery mail → /account/update-password → the new password works, the old one does not", async () => {
    const email = uniqueEmail("recover");
    await createConfirmedUser(email, PASSWORD);
    const browser = new AppClient();
    const sent = await submitForm(browser, "/forgot-password", "requestPasswordReset", { email });
    expect(visibleText(sent.body)).toContain("If that address has an account, a reset link is on its way.");

    const link = new URL(linkIn((await waitForMail(email, /Reset Your Password/)).text, "app"));
    expect(link.searchParams.get("type")).toBe("recovery");
    const landed = await browser.request(`${link.pathname}${link.search}`);
    expectSessionRedirect(landed, "/account/update-password");
    const form = await browser.follow("/account/update-password");
    expect(form.url.pathname).toBe("/account/update-password");
    expect(visibleText(form.body)).toContain(`Signed in as ${email}`);

    const mismatch = await postForm(browser, "/account/update-password", "updatePassword", {
      password: "brand-new-password-2",
      confirm: "something-else-2",
    });
    expect(flashOf(mismatch)).toMatchObject({ error: true, result: "The passwords do not match." });

    const updated = await postForm(browser, "/account/update-password", "updatePassword", {
      password: "brand-new-password-2",
      confirm: "brand-new-password-2",
    });
    expect(updated.status).toBe(302);
    expect(updated.headers.get("location")).toBe("/account?password=updated");

    await new AppClient().signIn(email, "brand-new-password-2", "/protected");
    const old = await postForm(new AppClient(), "/login", "signIn", { email, password: PASSWORD, next: "/" });
    expect(flashOf(old)).toMatchObject({ error: true, result: "Invalid email or password." });

    // The recovery link is single use.
    const reused = await new AppClient().request(`${link.pathname}${link.search}`);
    expect(reused.headers.get("location")).toMatch(/^\/login\?error=link_expired&next=/);
  });

  it("says the same for an address without an account, and sends nothing", async () => {
    const ghost = uniqueEmail("ghost-reset");
    const sent = await submitForm(new AppClient(), "/forgot-password", "requestPasswordReset", { email: ghost });
    expect(visibleText(sent.body)).toContain("If that address has an account, a reset link is on its way.");
    await expect(waitForMail(ghost, /Reset/, 500)).rejects.toThrow(/no mail/);
  });
});

describe("OAuth with the local test provider (PKCE)", () => {
  it("login page button → provider page → /auth/callback?code= → signed in on next", async () => {
    const browser = new AppClient();
    const login = visibleText((await browser.follow("/login")).body);
    expect(login).toContain("Continue with the local test provider");

    const email = uniqueEmail("oauth");
    const callback = await localProviderCallback(browser, email, "/protected");
    expect(callback.origin).toBe(new URL(browser.base).origin);
    expect(callback.pathname).toBe("/auth/callback");
    expect(callback.searchParams.get("code")).toBeTruthy();
    expect(callback.searchParams.get("next")).toBe("/protected");
    const landed = await browser.request(`${callback.pathname}${callback.search}`);
    expectSessionRedirect(landed, "/protected");
    await expectSignedInAs(browser, email);

    // The same code again in the same browser: nothing to exchange (the verifier is gone too).
    const reused = await browser.request(`${callback.pathname}${callback.search}`);
    expect(reused.headers.get("location")).toMatch(/^\/login\?error=link_(used|other_browser)&next=%2Fprotected$/);
  });

  it("a spent code presented with a live verifier says the link was used", async () => {
    const browser = new AppClient();
    const first = await localProviderCallback(browser, uniqueEmail("oauth-used"), "/protected");
    expect((await browser.request(`${first.pathname}${first.search}`)).status).toBe(303);
    // A new sign-in attempt leaves a fresh verifier cookie, then the old code comes back.
    await localProviderCallback(browser, uniqueEmail("oauth-used-2"), "/protected");
    const reused = await browser.request(`${first.pathname}${first.search}`);
    expect(reused.headers.get("location")).toBe("/login?error=link_used&next=%2Fprotected");
    expect(await loginNotice(browser, reused.headers.get("location") as string)).toContain("That link was already used.");
  });

  it("an expired code says the link expired", async () => {
    const browser = new AppClient();
    const callback = await localProviderCallback(browser, uniqueEmail("oauth-expired"), "/protected");
    await withAppDatabase(
      (
        sql,
      ) => sql`update auth.flow_state set created_at = now() - interval '1 day', auth_code_issued_at = now() - interval '1 day'
                   where auth_code = ${callback.searchParams.get("code") as string}`,
    );
    const response = await browser.request(`${callback.pathname}${callback.search}`);
    expect(response.headers.get("location")).toBe("/login?error=link_expired&next=%2Fprotected");
    await expectSignedOut(browser);
  });
});

describe("friendly link errors", () => {
  it("an expired confirmation link (sent past otp_expiry) lands on 'expired'", async () => {
    const email = uniqueEmail("late");
    await submitForm(new AppClient(), "/signup", "signUp", { email, password: PASSWORD, next: "/protected" });
    const link = new URL(linkIn((await waitForMail(email, /Confirm Your Signup/)).text, "app"));
    await withAppDatabase(
      (sql) => sql`update auth.users set confirmation_sent_at = now() - interval '2 hours' where email = ${email}`,
    );
    const client = new AppClient();
    const response = await client.request(`${link.pathname}${link.search}`);
    expect(response.headers.get("location")).toBe("/login?error=link_expired&next=%2Fprotected");
    expect(await loginNotice(client, response.headers.get("location") as string)).toContain("That link has expired.");
    await expectSignedOut(client);
  });

  it.each([
    ["no token", "/auth/confirm?type=signup&next=/protected"],
    ["an unknown type", "/auth/confirm?token_hash=abc&type=sms&next=/protected"],
    ["no code", "/auth/callback?next=/protected"],
  ])("%s is 'not valid'", async (_name, path) => {
    const client = new AppClient();
    const response = await client.request(path);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/login?error=link_invalid&next=%2Fprotected");
    expect(await loginNotice(client, response.headers.get("location") as string)).toContain("That link is not valid.");
  });

  it.each([
    ["link_used", "That link was already used. Sign in, or request a new link."],
    ["link_expired", "That link has expired. Request a new one below."],
    ["link_invalid", "That link is not valid. Request a new one below."],
    ["link_other_browser", "Open the link in the browser you requested it from, or request a new one here."],
  ])("the login page explains ?error=%s", async (code, message) => {
    const { body } = await new AppClient().follow(`/login?error=${code}`);
    expect(visibleText(body)).toContain(message);
  });

  it("an unknown ?error= shows nothing made up from the query", async () => {
    const { body } = await new AppClient().follow("/login?error=%3Cb%3Eevil%3C%2Fb%3E");
    expect(body).not.toContain("<b>evil</b>");
    expect(visibleText(body)).not.toContain("evil");
  });
});

describe("sign out", () => {
  async function twoDevices(): Promise<{ email: string; devices: AppClient[] }> {
    const email = uniqueEmail("signout");
    await createConfirmedUser(email, PASSWORD);
    const devices = [new AppClient(), new AppClient(), new AppClient()];
    for (const device of devices) await device.signIn(email, PASSWORD, "/protected");
    return { email, devices };
  }

  it("'this device' ends only this session; the others still refresh", async () => {
    const { email, devices } = await twoDevices();
    const [here, other] = devices as [AppClient, AppClient];
    const response = await postForm(here, "/logout", "signOut", { scope: "local" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/login?signed_out=1");
    expect(isPrivateNoStore(response)).toBe(true);
    expect(sessionSetCookies(response).every((cookie) => /Max-Age=0/i.test(cookie))).toBe(true);
    expect(here.sessionCookieNames()).toEqual([]);
    expect(await loginNotice(here, "/login?signed_out=1")).toContain("You are signed out.");
    await expectSignedOut(here);

    // The other device's refresh token still works: its session was not revoked.
    await expireAccessToken(other);
    await expectSignedInAs(other, email);
  });

  it("'all devices' revokes every session: the others are out at their next refresh", async () => {
    const { devices } = await twoDevices();
    const [here, other, third] = devices as [AppClient, AppClient, AppClient];
    const response = await postForm(here, "/logout", "signOut", { scope: "global" });
    expect(response.status).toBe(302);
    expect(isPrivateNoStore(response)).toBe(true);
    expect(here.sessionCookieNames()).toEqual([]);
    await expectSignedOut(here);
    for (const device of [other, third]) {
      await expireAccessToken(device);
      await expectSignedOut(device);
      expect(device.sessionCookieNames()).toEqual([]);
    }
  });
});

/**
 * Form errors must reach the page: a RETURNED Error would land in `submission.result` (and in
 * SolidStart's no-JS flash as `thrown: false`) while the forms render `submission.error`.
 */
describe("form errors are shown to a user without JavaScript", () => {
  it.each([
    [
      "/login",
      "signIn",
      { email: "nobody-form-errors@example.com", password: "wrong-password", next: "/" },
      "Invalid email or password.",
    ],
    ["/signup", "signUp", { email: "short@example.com", password: "short", next: "/" }, "Use at least 8 characters."],
    ["/forgot-password", "requestPasswordReset", { email: "not-an-address" }, "Enter a valid email address."],
  ])("%s %s", async (page, action, fields, message) => {
    const shown = await submitForm(new AppClient(), page, action, fields);
    expect(shown.url.pathname).toBe(page);
    expect(visibleText(shown.body)).toContain(message);
  });
});
