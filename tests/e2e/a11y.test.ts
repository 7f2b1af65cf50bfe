import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { BrowserContext, Page } from "playwright-core";
import { expect, it } from "vitest";
import { createFeedUser } from "../fixtures/feed-users.ts";
import { describeInBrowser, useBrowser } from "./browser.ts";
import { appPages, signInThroughForm, waitForHydration } from "./pages.ts";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const SCHEMES = ["light", "dark"] as const;
const BLOCKING = new Set(["serious", "critical"]);

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** axe-core's serious and critical violations on the page as it is now, one line each. */
async function blockingViolations(page: Page, label: string): Promise<string[]> {
  // Evaluated through the DevTools protocol: an inline <script> (addScriptTag) is what the app's
  // Content-Security-Policy exists to block.
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: unknown }> } }).axe;
    return (await axe.run(document, { resultTypes: ["violations"] })).violations;
  });
  return (violations as Violation[])
    .filter((violation) => BLOCKING.has(violation.impact ?? ""))
    .flatMap((violation) =>
      violation.nodes.map(
        (node) => `${label}: [${violation.impact}] ${violation.id} (${violation.help}) at ${node.target.join(" ")}`,
      ),
    );
}

/**
 * Every page of src/routes, in light and dark: opened, hydrated, checked with axe-core. A page a
 * visitor is redirected away from is checked where it lands (once per identity). The schemes
 * differ only by src/app.css's prefers-color-scheme rules (no script reads the scheme, no
 * transition), so each page is loaded once and checked in both, switching the emulated scheme.
 */
async function checkEveryPage(context: BrowserContext, identity: string): Promise<string[]> {
  const found: string[] = [];
  const page = await context.newPage();
  const checkInEveryScheme = async (label: string) => {
    for (const colorScheme of SCHEMES) {
      await page.emulateMedia({ colorScheme });
      expect(await page.evaluate(() => matchMedia("(prefers-color-scheme: dark)").matches)).toBe(colorScheme === "dark");
      found.push(...(await blockingViolations(page, `${identity} ${colorScheme} ${label}`)));
    }
  };
  const checked = new Set<string>();
  for (const appPage of appPages()) {
    await page.goto(appPage.path);
    await waitForHydration(page);
    const landed = new URL(page.url()).pathname;
    if (checked.has(landed)) continue;
    checked.add(landed);
    await checkInEveryScheme(`${appPage.path} (at ${landed})`);
  }
  // The phone layout: the header's menu open over the page.
  await page.setViewportSize({ width: 360, height: 780 });
  await page.goto("/");
  await waitForHydration(page);
  await page.getByText("Menu", { exact: true }).click();
  await page.getByRole("navigation").getByRole("link", { name: "Account" }).waitFor();
  await checkInEveryScheme("/ at 360 px, menu open");
  return found;
}

describeInBrowser("accessibility (axe-core) on every page", () => {
  const harness = useBrowser();

  it("finds the pages from the route files, the signed-in and moderator ones included", () => {
    const paths = appPages().map((page) => `${page.access} ${page.path}`);
    expect(paths).toEqual(
      expect.arrayContaining(["public /", "public /login", "signed-in /messages", "signed-in /account", "moderator /moderation"]),
    );
  });

  it("signed out: no serious or critical violation, light or dark", { timeout: 120_000 }, async () => {
    expect(await checkEveryPage(await harness.newContext(), "signed out")).toEqual([]);
  });

  it("signed in as a user: no serious or critical violation, light or dark", { timeout: 120_000 }, async () => {
    const context = await harness.newContext();
    const user = await createFeedUser("a11y_user");
    await signInThroughForm(await context.newPage(), user.email, user.password);
    expect(await checkEveryPage(context, "user")).toEqual([]);
  });

  it("signed in as a moderator: no serious or critical violation, light or dark", { timeout: 120_000 }, async () => {
    const context = await harness.newContext();
    const moderator = await createFeedUser("a11y_mod", { moderator: true });
    await signInThroughForm(await context.newPage(), moderator.email, moderator.password);
    expect(await checkEveryPage(context, "moderator")).toEqual([]);
  });
});
