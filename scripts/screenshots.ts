/**
 * `npm run screenshots`: every page of the app, on a phone (360 px) and a desktop (1280 px), light
 * and dark, into docs/screenshots/. It runs what the browser suite runs: the BUILT app on a
 * throw-away local Supabase (tests/setup/app-server.ts) and the system Chromium
 * (tests/e2e/chromium.ts), signed in as the seeded moderator with a few messages in the feed.
 * SKIP_APP_BUILD=1 reuses an existing build.
 */
import { execFileSync } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium } from "playwright-core";
import postgres from "postgres";
import { projectRoot, startDedicatedApp } from "../tests/setup/app-server.ts";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../tests/e2e/chromium.ts";
import { appPages, signInThroughForm, waitForHydration } from "../tests/e2e/pages.ts";

const OUT = join(projectRoot, "docs/screenshots");
const VIEWPORTS = [
  { name: "phone", width: 360, height: 780 },
  { name: "desktop", width: 1280, height: 800 },
] as const;
const SCHEMES = ["light", "dark"] as const;
// Seeded accounts (supabase/seed.sql): alice moderates, so every page opens for her.
const ALICE = { email: "alice@example.com", password: "password123" };

const CONVERSATION = [
  ["bob", "Has anyone tried the new dark mode?"],
  ["carol", "Yes! It follows the system setting, no toggle needed."],
  ["alice", "Reminder: the feed updates live, no reload needed."],
  ["bob", "Nice. Typing this from my phone, the layout fits."],
] as const;

async function seedMessages(databaseUrl: string): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => undefined });
  try {
    for (const [username, body] of CONVERSATION) {
      await sql`insert into public.messages (author_id, body)
                select id, ${body} from public.profiles where username = ${username}`;
    }
    await sql`insert into public.messages (author_id, recipient_id, body)
              select a.id, c.id, 'Carol, could you look at the new sign-in page?'
              from public.profiles a, public.profiles c where a.username = 'alice' and c.username = 'carol'`;
  } finally {
    await sql.end();
  }
}

function fileName(path: string): string {
  return path === "/" ? "home" : path.slice(1).replaceAll("/", "-");
}

async function shoot(browser: Browser, baseURL: string, storageState: Awaited<ReturnType<BrowserContext["storageState"]>>) {
  const pages = appPages();
  for (const viewport of VIEWPORTS) {
    for (const colorScheme of SCHEMES) {
      for (const signedIn of [false, true]) {
        const context = await browser.newContext({
          baseURL,
          viewport: { width: viewport.width, height: viewport.height },
          colorScheme,
          storageState: signedIn ? storageState : undefined,
        });
        const page = await context.newPage();
        // Signed out, only the public pages; signed in, the rest (and the home page, which differs).
        for (const appPage of pages.filter((p) => (signedIn ? p.access !== "public" || p.path === "/" : p.access === "public"))) {
          await page.goto(appPage.path);
          await waitForHydration(page);
          const name = `${fileName(appPage.path)}${signedIn && appPage.access === "public" ? "-signed-in" : ""}-${viewport.name}-${colorScheme}.png`;
          await page.screenshot({ path: join(OUT, name) });
          console.log(`docs/screenshots/${name}`);
          if (appPage.path === "/messages") {
            // The editor of alice's own message, opened as a click opens it.
            await page.getByRole("link", { name: "Edit" }).first().click();
            const editing = `messages-editing-${viewport.name}-${colorScheme}.png`;
            await page.screenshot({ path: join(OUT, editing) });
            console.log(`docs/screenshots/${editing}`);
          }
          if (viewport.name === "phone" && signedIn && appPage.path === "/") {
            await page.getByText("Menu", { exact: true }).click();
            const menu = `menu-open-phone-${colorScheme}.png`;
            await page.screenshot({ path: join(OUT, menu) });
            console.log(`docs/screenshots/${menu}`);
          }
        }
        await context.close();
      }
    }
  }
}

async function main(): Promise<void> {
  if (process.env.SKIP_APP_BUILD !== "1") {
    execFileSync(process.execPath, [join(projectRoot, "node_modules/vinxi/bin/cli.mjs"), "build"], {
      cwd: projectRoot,
      stdio: "inherit",
    });
  }
  const stack = await startDedicatedApp("screenshots");
  let browser: Browser | undefined;
  try {
    const app = stack.apps[0];
    if (!app) throw new Error("no app server started");
    await seedMessages(stack.local.supabase.dbUrl);
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const login = await browser.newContext({ baseURL: app.url });
    await signInThroughForm(await login.newPage(), ALICE.email, ALICE.password);
    const storageState = await login.storageState();
    await login.close();
    await rm(OUT, { recursive: true, force: true });
    await mkdir(OUT, { recursive: true });
    await shoot(browser, app.url, storageState);
  } finally {
    await browser?.close();
    await stack.stop();
  }
}

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
