import { readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { Page } from "playwright-core";

/** Who may open a page, from the route groups it sits in (src/routes/(signed-in)/(role-moderator)/…). */
export type PageAccess = "public" | "signed-in" | "moderator";

export interface AppPage {
  /** A URL that opens it. */
  path: string;
  /** Its route file, relative to src/routes. */
  file: string;
  access: PageAccess;
}

const ROUTES = join(import.meta.dirname, "../../src/routes");

/** A sample value for each dynamic segment: a new `[param]` route must be given one here. */
const SAMPLE_PARAMS: Record<string, string> = { username: "carol" };
const CATCH_ALL_SAMPLE = "no-such-page";

function routeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return routeFiles(path);
    // .ts files in src/routes are API routes (no page); .tsx files are pages.
    return entry.name.endsWith(".tsx") ? [path] : [];
  });
}

function urlSegment(segment: string, file: string): string | undefined {
  if (/^\(.*\)$/.test(segment)) return undefined;
  if (segment === "index") return undefined;
  if (/^\[\.\.\..+\]$/.test(segment)) return CATCH_ALL_SAMPLE;
  const param = /^\[(.+)\]$/.exec(segment)?.[1];
  if (param === undefined) return segment;
  const sample = SAMPLE_PARAMS[param];
  if (sample === undefined) throw new Error(`no sample value for [${param}] in ${file}: add one to SAMPLE_PARAMS`);
  return sample;
}

/** Every page of the app, discovered from the route files (so a new page is covered at once). */
export function appPages(): AppPage[] {
  return routeFiles(ROUTES)
    .map((absolute) => {
      const file = relative(ROUTES, absolute);
      const segments = file.replace(/\.tsx$/, "").split(sep);
      const access: PageAccess = segments.includes("(role-moderator)")
        ? "moderator"
        : segments.includes("(signed-in)")
          ? "signed-in"
          : "public";
      const path = `/${segments.flatMap((segment) => urlSegment(segment, file) ?? []).join("/")}`;
      return { path, file, access };
    })
    .sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * Solid's delegated event handlers are registered and every lazy chunk has loaded: the page is
 * hydrated (the same signal as the other browser suites).
 */
export async function waitForHydration(page: Page, timeout = 10_000): Promise<void> {
  await page.waitForFunction(() => "_$DX_DELEGATE" in document, undefined, { timeout });
  await page.waitForLoadState("networkidle", { timeout });
}

/** Signs in through the login form and waits until the header shows the account. */
export async function signInThroughForm(page: Page, email: string, password: string): Promise<void> {
  await page.goto("/login?next=/protected");
  await waitForHydration(page);
  const form = page.locator("form", { has: page.locator('input[name="password"]') });
  await form.locator('input[name="email"]').fill(email);
  await form.locator('input[name="password"]').fill(password);
  await form.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname === "/protected");
  // Attached, not visible: on a phone the account sits in the closed header menu.
  await page.getByTestId("signed-in-as").getByText(email).waitFor({ state: "attached" });
}
