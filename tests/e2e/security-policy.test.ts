import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import { createFeedUser } from "../fixtures/feed-users.ts";
import { describeInBrowser, useBrowser } from "./browser.ts";
import { waitForHydration } from "./pages.ts";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

/**
 * Signs in through the login page's "Continue with the local test provider" and the provider's
 * page (on the Supabase origin) as `email`: the post to the app, the app's redirect to Supabase's
 * /auth/v1/authorize, the provider page, its redirect back to /auth/callback and on to `next`.
 */
async function signInWithLocalProvider(page: Page, email: string, next: string): Promise<void> {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await page.getByRole("button", { name: "Continue with the local test provider" }).click();
  await page.getByRole("heading", { name: "Local test identity provider" }).waitFor();
  await page.getByRole("button", { name: email }).click();
  await page.waitForURL((url) => url.pathname === next);
}

describeInBrowser("the Content-Security-Policy in Chromium", () => {
  const harness = useBrowser();

  // Chromium applies form-action to every redirect after a form post: without JavaScript the
  // app's 302 to Supabase's /auth/v1/authorize is one.
  it("OAuth with the local test provider, without JavaScript: the form post's redirect to Supabase is allowed", async () => {
    const user = await createFeedUser("cspoauth");
    const page = await (await harness.newContext({ javaScriptEnabled: false })).newPage();
    await signInWithLocalProvider(page, user.email, "/protected");
    await page.getByText(user.email).first().waitFor();
  });

  it("OAuth with the local test provider, with JavaScript: no violation on the way", async () => {
    const user = await createFeedUser("cspoauthjs");
    const page = await (await harness.newContext()).newPage();
    await page.goto("/login");
    await waitForHydration(page);
    await signInWithLocalProvider(page, user.email, "/protected");
    await waitForHydration(page);
    await page.getByTestId("user-email").getByText(user.email).waitFor();
  });

  // The listener of tests/e2e/browser.ts is what fails every browser test on a violation: this
  // shows it hears them, and that the policy blocks what an injection would add.
  it("an injected inline script is blocked, and it and a style attribute are reported", async () => {
    const page = await (await harness.newContext()).newPage();
    await page.goto("/login");
    await waitForHydration(page);
    const ran = await page.evaluate(async () => {
      const script = document.createElement("script");
      script.textContent = "document.body.dataset.injected = 'yes'";
      document.head.append(script);
      document.body.setAttribute("style", "outline: 3px solid red");
      // The event is queued as a task after the violation.
      await new Promise((resolve) => setTimeout(resolve, 0));
      return document.body.dataset.injected ?? null;
    });
    expect(ran).toBeNull();
    const reported: string[] = [];
    await expect
      .poll(() => {
        reported.push(...harness.takePolicyViolations().map((violation) => violation.directive));
        return reported.toSorted();
      })
      .toEqual(["script-src-elem", "style-src-attr"]);
  });
});
