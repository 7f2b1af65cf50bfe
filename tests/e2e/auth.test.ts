import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import { adminClient, createConfirmedUser } from "../fixtures/admin.ts";
import { linkIn, uniqueEmail, waitForMail } from "../fixtures/mailbox.ts";
import { describeInBrowser, expireBrowserAccessToken, readBrowserSession, sessionCookieNames, useBrowser } from "./browser.ts";

const PASSWORD = "browser-password-1";

async function signInWithForm(page: Page, email: string, password: string): Promise<void> {
  const form = page.locator("form", { has: page.locator('input[name="password"]') });
  await form.locator('input[name="email"]').fill(email);
  await form.locator('input[name="password"]').fill(password);
  await form.getByRole("button", { name: "Sign in" }).click();
}

/**
 * Signs in through the login form and opens `next` once the session cookie is stored. Used where
 * the landing page after a JS sign-in is not what is tested (that has its own test below).
 */
async function signedInAt(page: Page, email: string, next: string): Promise<void> {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await waitForHydration(page);
  await signInWithForm(page, email, PASSWORD);
  const deadline = Date.now() + 10_000;
  while ((await sessionCookieNames(page.context())).length === 0) {
    if (Date.now() > deadline) throw new Error(`no session cookie after signing in ${email}`);
    await page.waitForTimeout(50);
  }
  await page.goto(next);
  await page.getByTestId("user-email").getByText(email).waitFor();
}

/** Marks the current document: the mark survives client-side navigation, not a full page load. */
async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => Object.assign(window, { __sameDocument: true }));
}

async function isSameDocument(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument === true);
}

/** Page scripts must never see a session cookie (it holds the refresh token): httpOnly only. */
async function expectNoSessionCookieInDocument(page: Page): Promise<void> {
  const visible = await page.evaluate(() => document.cookie);
  expect(visible).not.toMatch(/(^|;\s*)sb-/);
}

async function waitForHydration(page: Page): Promise<void> {
  // The client bundle registers Solid's delegated event handlers on the document, and every lazy
  // route chunk has loaded once the network is idle: by then hydrate() has run. Solid's own
  // `_$HY.done` is only set on the first delegated event, so it cannot be waited for. The tests
  // then PROVE hydration by behaviour (a click handled without a new document, see markDocument).
  await page.waitForFunction(() => "_$DX_DELEGATE" in document);
  await page.waitForLoadState("networkidle");
}

describeInBrowser("auth in a real browser", () => {
  const harness = useBrowser();

  it("signs up, confirms from the mail, lands on /protected; navigation is client-side; no readable session cookie", async () => {
    const context = await harness.newContext();
    const page = await context.newPage();
    const email = uniqueEmail("browser-signup");
    await page.goto("/signup?next=/protected");
    await waitForHydration(page);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel(/Password/).fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByText(`Check your email: we sent a confirmation link to ${email}`).waitFor();

    const link = linkIn((await waitForMail(email, /Confirm Your Signup/)).text, "app");
    await page.goto(link);
    await page.waitForURL("**/protected");
    expect(await page.getByTestId("user-email").textContent()).toBe(email);
    expect(await page.title()).toBe("Protected");
    await expectNoSessionCookieInDocument(page);
    expect((await sessionCookieNames(context)).length).toBeGreaterThan(0);
    for (const cookie of (await context.cookies()).filter((c) => c.name.startsWith("sb-"))) {
      expect(cookie.httpOnly).toBe(true);
      expect(cookie.sameSite).toBe("Lax");
    }

    // Hydrated: a nav link is handled by the router, without a new document.
    await waitForHydration(page);
    await markDocument(page);
    await page.getByRole("navigation").getByRole("link", { name: "Home" }).click();
    await page.waitForURL((url) => url.pathname === "/");
    await page.getByRole("heading", { name: "SolidStart + Supabase" }).waitFor();
    expect(await isSameDocument(page)).toBe(true);
    expect(await page.title()).toBe("SolidStart + Supabase");
    expect(await page.getByTestId("signed-in-as").textContent()).toBe(email);
  });

  it("a reload after the access token expired refreshes the session and stays on /protected", async () => {
    const email = uniqueEmail("browser-refresh");
    await createConfirmedUser(email, PASSWORD);
    const context = await harness.newContext();
    const page = await context.newPage();
    await signedInAt(page, email, "/protected");
    await expectNoSessionCookieInDocument(page);

    const before = await expireBrowserAccessToken(context);
    await page.reload();
    expect(new URL(page.url()).pathname).toBe("/protected");
    expect(await page.getByTestId("user-email").textContent()).toBe(email);
    const after = (await readBrowserSession(context)).session;
    expect(after.refresh_token).not.toBe(before.refresh_token);
    expect(after.expires_at).toBeGreaterThan(Date.now() / 1000);
  });

  it("signs in with JavaScript disabled (plain form post and redirects)", async () => {
    const email = uniqueEmail("browser-nojs");
    await createConfirmedUser(email, PASSWORD);
    const context = await harness.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto("/protected");
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe("/login?next=%2Fprotected");
    await signInWithForm(page, email, PASSWORD);
    await page.waitForURL("**/protected");
    expect(await page.getByTestId("user-email").textContent()).toBe(email);
    expect((await sessionCookieNames(context)).length).toBeGreaterThan(0);
  });

  it("sign-out in one tab takes the other tab to /login without a reload", async () => {
    const email = uniqueEmail("browser-tabs");
    await createConfirmedUser(email, PASSWORD);
    const context = await harness.newContext();
    const first = await context.newPage();
    await signedInAt(first, email, "/protected");

    const second = await context.newPage();
    await second.goto("/protected");
    await waitForHydration(second);
    expect(await second.getByTestId("user-email").textContent()).toBe(email);
    await markDocument(second);

    await first.goto("/logout");
    await waitForHydration(first);
    await first.getByRole("button", { name: "Sign out on this device" }).click();
    await first.waitForURL("**/login?signed_out=1");
    expect(await sessionCookieNames(context)).toEqual([]);

    // The other tab hears it over the BroadcastChannel, re-runs its loaders and is redirected.
    await second.waitForURL((url) => url.pathname === "/login", { timeout: 10_000 });
    expect(await isSameDocument(second)).toBe(true);
    expect(await second.getByTestId("signed-in-as").count()).toBe(0);
  });

  it("after a chunked → single transition the cookie jar holds exactly the one session cookie", async () => {
    const email = uniqueEmail("browser-chunks");
    const user = await createConfirmedUser(email, PASSWORD);
    const context = await harness.newContext();
    const page = await context.newPage();
    await signedInAt(page, email, "/protected");
    const [key] = await sessionCookieNames(context);
    expect(key).toMatch(/^sb-[^.]+-auth-token$/);

    async function refreshWithNote(note: string): Promise<void> {
      const { error } = await adminClient().auth.admin.updateUserById(user.id, { user_metadata: { note } });
      if (error) throw error;
      await expireBrowserAccessToken(context);
      await page.reload();
      expect(await page.getByTestId("user-email").textContent()).toBe(email);
    }

    // Large enough for three chunks (see tests/app/cookie-chunks.test.ts for the sizes).
    await refreshWithNote("x".repeat(1700));
    expect(await sessionCookieNames(context)).toEqual([`${key}.0`, `${key}.1`, `${key}.2`]);
    await refreshWithNote("");
    expect(await sessionCookieNames(context)).toEqual([key]);
    expect((await context.cookies()).filter((cookie) => cookie.name.startsWith(`${key}.`))).toEqual([]);
  });
});

describeInBrowser("sign-in with JavaScript", () => {
  const harness = useBrowser();

  // SolidStart renders the redirect target's data in the SAME request (single-flight), so the
  // claims the middleware put on event.locals before sign-in must be replaced by the new ones.
  it("lands on next, signed in, handled in-page", async () => {
    const email = uniqueEmail("browser-signin");
    await createConfirmedUser(email, PASSWORD);
    const context = await harness.newContext();
    const page = await context.newPage();
    await page.goto("/login?next=/protected");
    await waitForHydration(page);
    await markDocument(page);
    await signInWithForm(page, email, PASSWORD);
    await page.waitForURL("**/protected", { timeout: 5_000 });
    await page.getByTestId("user-email").getByText(email).waitFor({ timeout: 5_000 });
    // The action ran through the router (fetch + client navigation), not a form post + page load.
    expect(await isSameDocument(page)).toBe(true);
  });

  // A returned Error would land in submission.result while the form renders submission.error.
  it("a wrong password shows 'Invalid email or password.'", async () => {
    const context = await harness.newContext();
    const page = await context.newPage();
    await page.goto("/login");
    await waitForHydration(page);
    await signInWithForm(page, uniqueEmail("nobody"), "wrong-password");
    await page.getByRole("alert").getByText("Invalid email or password.").waitFor({ timeout: 5_000 });
  });
});
