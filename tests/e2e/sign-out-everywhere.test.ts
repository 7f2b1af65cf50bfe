import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import { createConfirmedUser } from "../fixtures/admin.ts";
import { uniqueEmail } from "../fixtures/mailbox.ts";
import { describeInBrowser, sessionCookieNames, useBrowser } from "./browser.ts";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

const PASSWORD = "browser-everywhere-1";
/** The middleware rereads the session revocation version at most this often (ADR 0035). */
const REVOCATION_CHECK_MS = 1_000;

async function waitForHydration(page: Page): Promise<void> {
  // Solid registers its delegated handlers on the document once the client bundle ran; by network
  // idle every lazy route chunk has loaded too.
  await page.waitForFunction(() => "_$DX_DELEGATE" in document);
  await page.waitForLoadState("networkidle");
}

async function signedInAtProtected(page: Page, email: string): Promise<void> {
  await page.goto("/login?next=%2Fprotected");
  await waitForHydration(page);
  const form = page.locator("form", { has: page.locator('input[name="password"]') });
  await form.locator('input[name="email"]').fill(email);
  await form.locator('input[name="password"]').fill(PASSWORD);
  await form.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("**/protected");
  await page.getByTestId("user-email").getByText(email).waitFor();
}

describeInBrowser("sign out on all devices, in two browsers", () => {
  const harness = useBrowser();

  it("the other browser is signed out at its next navigation, client-side or a full page load", async () => {
    const email = uniqueEmail("browser-everywhere");
    await createConfirmedUser(email, PASSWORD);
    const [here, there, reloaded] = await Promise.all([harness.newContext(), harness.newContext(), harness.newContext()]);
    const herePage = await here.newPage();
    const therePage = await there.newPage();
    const reloadedPage = await reloaded.newPage();
    await signedInAtProtected(herePage, email);
    await signedInAtProtected(therePage, email);
    await signedInAtProtected(reloadedPage, email);
    await waitForHydration(therePage);

    await herePage.goto("/account");
    await waitForHydration(herePage);
    await herePage.getByRole("button", { name: "Sign out on all devices" }).click();
    await herePage.waitForURL("**/login?signed_out=1");
    expect(await sessionCookieNames(here)).toEqual([]);

    await therePage.waitForTimeout(REVOCATION_CHECK_MS + 100);
    // Client-side: the Account page's loader is a server function, refused with 401 and a
    // Location the router follows.
    await therePage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Account" }).click();
    await therePage.waitForURL((url) => url.pathname === "/login");
    // Back to the page the refused call came from once signed in again.
    expect(new URL(therePage.url()).searchParams.get("next")).toBe("/protected");
    expect(await sessionCookieNames(there)).toEqual([]);
    // The header forgets the user too (the layout's user query runs again on /login).
    await therePage.getByTestId("signed-in-as").waitFor({ state: "detached" });
    await therePage.getByRole("link", { name: "Sign in" }).first().waitFor();

    await reloadedPage.goto("/protected");
    expect(new URL(reloadedPage.url()).pathname).toBe("/login");
    expect(await sessionCookieNames(reloaded)).toEqual([]);
  });
});
