import { decodeJwt } from "jose";
import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import { adminClient, createConfirmedUser } from "../fixtures/admin.ts";
import { AppClient } from "../fixtures/app-client.ts";
import { uniqueEmail } from "../fixtures/mailbox.ts";
import { totpCode, wrongTotpCode } from "../fixtures/totp.ts";
import { enrolTotp } from "../fixtures/two-factor.ts";
import { describeInBrowser, readBrowserSession, sessionCookieNames, useBrowser } from "./browser.ts";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

const PASSWORD = "browser-two-factor-1";

async function waitForHydration(page: Page): Promise<void> {
  // As in auth.test.ts: delegated handlers registered and every route chunk loaded.
  await page.waitForFunction(() => "_$DX_DELEGATE" in document);
  await page.waitForLoadState("networkidle");
}

async function signInWithForm(page: Page, email: string): Promise<void> {
  const form = page.locator("form", { has: page.locator('input[name="password"]') });
  await form.locator('input[name="email"]').fill(email);
  await form.locator('input[name="password"]').fill(PASSWORD);
  await form.getByRole("button", { name: "Sign in" }).click();
}

describeInBrowser("two-factor sign-in in a real browser", () => {
  const harness = useBrowser();

  it("a moderator enrols from /account/security, signs out, signs in: code page, wrong code, right code, moderation", async () => {
    const email = uniqueEmail("browser-totp");
    const user = await createConfirmedUser(email, PASSWORD);
    const { error } = await adminClient().auth.admin.updateUserById(user.id, { app_metadata: { user_role: "moderator" } });
    if (error) throw error;

    const context = await harness.newContext();
    const page = await context.newPage();
    await page.goto("/login?next=/account/security");
    await waitForHydration(page);
    await signInWithForm(page, email);
    await page.waitForURL("**/account/security");
    await page.getByText("Two-factor sign-in is off").waitFor();

    await page.getByRole("button", { name: "Set up an authenticator app" }).click();
    // A GET form: the browser adds an empty query string.
    await page.waitForURL((url) => url.pathname === "/account/security/setup");
    await waitForHydration(page);
    const secret = (await page.locator(".totp-secret").textContent())?.trim() ?? "";
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    // The QR code is an image the browser could decode and draw.
    const qrWidth = await page
      .locator("img.qr-code")
      .evaluate((img: HTMLImageElement) => img.decode().then(() => img.naturalWidth));
    expect(qrWidth).toBeGreaterThan(0);
    // Nothing readable by the page's scripts carries the key.
    expect(await page.evaluate(() => document.cookie)).not.toContain(secret);

    await page.getByLabel("Code from the app").fill(totpCode(secret));
    await page.getByRole("button", { name: "Turn on two-factor sign-in" }).click();
    await page.waitForURL("**/account/security?added=1");
    await page.getByText("Your authenticator app is set up").waitFor();
    expect(decodeJwt((await readBrowserSession(context)).session.access_token).aal).toBe("aal2");
    for (const cookie of await context.cookies()) expect(decodeURIComponent(cookie.value)).not.toContain(secret);

    await page.goto("/account");
    await waitForHydration(page);
    await page.getByRole("button", { name: "Sign out on this device" }).click();
    await page.waitForURL("**/login?signed_out=1");
    expect(await sessionCookieNames(context)).toEqual([]);

    await page.goto("/login?next=/moderation");
    await waitForHydration(page);
    await signInWithForm(page, email);
    await page.waitForURL((url) => url.pathname === "/two-factor");
    expect(new URL(page.url()).search).toBe("?next=%2Fmoderation");
    await page.getByRole("heading", { name: "Enter your code" }).waitFor();
    // The code page offers a way out.
    await page.getByRole("button", { name: "Sign out on this device" }).waitFor();
    await waitForHydration(page);

    await page.getByLabel("Code").fill(wrongTotpCode(secret));
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("alert").getByText("That code is not right.", { exact: false }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/two-factor");

    await page.getByLabel("Code").fill(totpCode(secret));
    await page.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL("**/moderation");
    await page.getByRole("heading", { name: "Moderation" }).waitFor();
    expect(decodeJwt((await readBrowserSession(context)).session.access_token).aal).toBe("aal2");
  });

  it("with JavaScript, the password leads straight to the code page with the next asked for; the header shows no one until the code", async () => {
    const email = uniqueEmail("browser-totp-landing");
    await createConfirmedUser(email, PASSWORD);
    // Enrolled over HTTP: the enrolment's own browser flow is the test above.
    const enrolling = new AppClient();
    await enrolling.signIn(email, PASSWORD, "/account");
    const { secret } = await enrolTotp(enrolling);

    const context = await harness.newContext();
    const page = await context.newPage();
    await page.goto("/login?next=/messages");
    await waitForHydration(page);
    await signInWithForm(page, email);
    await page.waitForURL((url) => url.pathname === "/two-factor");
    expect(new URL(page.url()).search).toBe("?next=%2Fmessages");
    await page.getByRole("heading", { name: "Enter your code" }).waitFor();
    const header = page.getByRole("navigation", { name: "Main" });
    await header.getByRole("link", { name: "Sign in" }).waitFor();
    expect(await page.getByTestId("signed-in-as").count()).toBe(0);
    await waitForHydration(page);

    await page.getByLabel("Code").fill(totpCode(secret));
    await page.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL((url) => url.pathname === "/messages");
    await page.getByTestId("signed-in-as").getByText(email).waitFor();
  });
});
