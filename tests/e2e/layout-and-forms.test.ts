import type { BrowserContext, Page } from "playwright-core";
import { expect, inject, it } from "vitest";
import { createFeedUser, FEED_PASSWORD } from "../fixtures/feed-users.ts";
import { describeInBrowser, useBrowser } from "./browser.ts";
import { appPages, signInThroughForm, waitForHydration } from "./pages.ts";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

const PHONE = { width: 360, height: 780 };

/** Signs in through the login form with JavaScript off: a plain POST and its redirects. */
async function signInWithoutJs(page: Page, email: string, password: string): Promise<void> {
  await page.goto("/login?next=/protected");
  const form = page.locator("form", { has: page.locator('input[name="password"]') });
  await form.locator('input[name="email"]').fill(email);
  await form.locator('input[name="password"]').fill(password);
  await form.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname === "/protected");
}

/** The field's error as assistive technology gets it: its input is invalid and described by the message. */
async function fieldError(page: Page, inputName: string): Promise<{ invalid: string | null; description: string }> {
  const input = page.locator(`input[name="${inputName}"]`);
  await input.and(page.locator('[aria-invalid="true"]')).waitFor();
  const ids = ((await input.getAttribute("aria-describedby")) ?? "").split(" ").filter(Boolean);
  const texts = await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).textContent()));
  return { invalid: await input.getAttribute("aria-invalid"), description: texts.join(" ") };
}

async function submitTakenUsername(page: Page): Promise<void> {
  await page.goto("/account");
  await page.getByLabel("Username").fill("bob");
  await page.getByRole("button", { name: "Save username" }).click();
}

async function pagesFitAPhone(context: BrowserContext, paths: string[]): Promise<string[]> {
  const page = await context.newPage();
  const problems: string[] = [];
  for (const path of paths) {
    await page.goto(path);
    await waitForHydration(page);
    const { scrollWidth, headerHeight } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      headerHeight: document.querySelector("header")?.getBoundingClientRect().height ?? 0,
    }));
    if (scrollWidth > PHONE.width) problems.push(`${path}: ${scrollWidth} px wide`);
    // One row: brand and menu button (a wrapped header is twice as tall).
    if (headerHeight > 72) problems.push(`${path}: header ${headerHeight} px tall`);
  }
  return problems;
}

describeInBrowser("site layout and forms", () => {
  const harness = useBrowser();

  it("the first Tab reaches a visible “Skip to content” link that moves focus to the main content", async () => {
    const page = await (await harness.newContext()).newPage();
    await page.goto("/login");
    await waitForHydration(page);
    await page.keyboard.press("Tab");
    const focused = page.locator(":focus");
    expect(await focused.textContent()).toBe("Skip to content");
    const box = await focused.boundingBox();
    expect(box && box.y >= 0 && box.height > 0).toBe(true);
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.activeElement?.id === "main");
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe("MAIN");
  });

  it("at 360 px every page fits without sideways scrolling and the header stays one row", { timeout: 60_000 }, async () => {
    const signedOut = await harness.newContext({ viewport: PHONE });
    const publicPaths = appPages()
      .filter((page) => page.access === "public")
      .map((page) => page.path);
    expect(await pagesFitAPhone(signedOut, publicPaths)).toEqual([]);

    const context = await harness.newContext({ viewport: PHONE });
    const moderator = await createFeedUser("phone_mod", { moderator: true });
    await signInThroughForm(await context.newPage(), moderator.email, moderator.password);
    expect(
      await pagesFitAPhone(
        context,
        appPages().map((page) => page.path),
      ),
    ).toEqual([]);
  });

  it("at 360 px the links open from the Menu button without JavaScript", async () => {
    const page = await (await harness.newContext({ viewport: PHONE, javaScriptEnabled: false })).newPage();
    await page.goto("/");
    const account = page.getByRole("navigation").getByRole("link", { name: "Account" });
    expect(await account.isVisible()).toBe(false);
    await page.getByText("Menu", { exact: true }).click();
    expect(await account.isVisible()).toBe(true);
    await account.click();
    await page.waitForURL((url) => url.pathname === "/login");
  });

  it("a field's error shows under it, tied to it (aria-invalid, aria-describedby), with JavaScript", async () => {
    const page = await (await harness.newContext()).newPage();
    const user = await createFeedUser("field_js");
    await signInThroughForm(page, user.email, user.password);
    await page.goto("/account");
    await waitForHydration(page);
    await submitTakenUsername(page);
    expect(await fieldError(page, "username")).toEqual({
      invalid: "true",
      description: expect.stringContaining("That username is taken."),
    });
  });

  it("a field's error shows under it, tied to it, without JavaScript too", async () => {
    const page = await (await harness.newContext({ javaScriptEnabled: false })).newPage();
    const user = await createFeedUser("field_nojs");
    await signInWithoutJs(page, user.email, user.password);
    await submitTakenUsername(page);
    expect(await fieldError(page, "username")).toEqual({
      invalid: "true",
      description: expect.stringContaining("That username is taken."),
    });

    await page.goto("/account/update-password");
    await page.getByLabel("New password").fill("new-password-1");
    await page.getByLabel("Repeat it").fill("new-password-2");
    await page.getByRole("button", { name: "Save password" }).click();
    expect(await fieldError(page, "confirm")).toEqual({
      invalid: "true",
      description: "The passwords do not match.",
    });
    expect(await page.locator('input[name="password"]').getAttribute("aria-invalid")).toBeNull();
  });

  it("an error about the whole form (wrong password) is shown once for the form, on no field", async () => {
    const page = await (await harness.newContext({ javaScriptEnabled: false })).newPage();
    const user = await createFeedUser("form_error");
    await page.goto("/login");
    const form = page.locator("form", { has: page.locator('input[name="password"]') });
    await form.locator('input[name="email"]').fill(user.email);
    await form.locator('input[name="password"]').fill(`${FEED_PASSWORD}-wrong`);
    await form.getByRole("button", { name: "Sign in" }).click();
    await form.getByRole("alert").getByText("Invalid email or password.").waitFor();
    expect(await page.locator('[aria-invalid="true"]').count()).toBe(0);
  });

  it("on the local backend the home page lists the seeded accounts, which sign in, and links the mailbox", async () => {
    const context = await harness.newContext();
    const page = await context.newPage();
    await page.goto("/");
    const rows = await page
      .getByTestId("seeded-account")
      .evaluateAll((items) =>
        items.map((item) =>
          ["email", "password", "role"].map((field) => item.querySelector(`[data-field="${field}"]`)?.textContent),
        ),
      );
    expect(rows).toEqual([
      ["alice@example.com", "password123", "moderator"],
      ["bob@example.com", "password123", "user"],
      ["carol@example.com", "password123", "user"],
    ]);
    expect(await page.getByTestId("mailbox-link").getAttribute("href")).toBe(inject("mailboxUrl"));
    expect((await fetch(inject("mailboxUrl"))).status).toBe(200);

    const [email = "", password = "", role] = rows[0] ?? [];
    await signInThroughForm(page, email, password);
    expect(role).toBe("moderator");
    await page.getByRole("navigation").getByRole("link", { name: "Moderation" }).waitFor();
  });
});
