import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { get } from "node:http";
import { join } from "node:path";
import type { Page } from "playwright-core";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, expect, inject, it } from "vitest";
import { freePort } from "local-supabase/testing";
import { createConfirmedUser } from "../fixtures/admin.ts";
import { AppClient } from "../fixtures/app-client.ts";
import { flashOf } from "../fixtures/auth-flows.ts";
import { createFeedUser } from "../fixtures/feed-users.ts";
import {
  DEV_SERVER_FILE_REQUESTS,
  HOSTILE_ARGUMENTS,
  HOSTILE_BODIES,
  HOSTILE_HEADERS,
  HOSTILE_STRINGS,
} from "../fixtures/hostile-corpus.ts";
import { linkIn, uniqueEmail, waitForMail } from "../fixtures/mailbox.ts";
import {
  builtServerFunctions,
  callServerFunction,
  exposedText,
  LEAK_PATTERNS,
  type ServerFunction,
} from "../fixtures/server-functions.ts";
import { totpCode } from "../fixtures/totp.ts";
import { enrolTotp } from "../fixtures/two-factor.ts";
import { projectRoot } from "../setup/app-server.ts";
import { describeInBrowser, sessionCookieNames, useBrowser, watchUncaughtErrors } from "./browser.ts";
import { sendFromPage, waitForMessage } from "./feed-page.ts";
import { waitForHydration } from "./pages.ts";

/**
 * `npm run dev` as a newcomer runs it (ADR 0047): the supervisor of scripts/dev.ts and the
 * `vinxi dev` it starts, against the test stack's local Supabase (the "env" backend: the settings
 * come from the environment). One dev server for the whole file, since its first compile is slow.
 * After every test the same `vinxi dev` process must still be running (the supervisor would
 * restart a crashed one, ADR 0046) and answering, the browser must show no uncaught error, and
 * nothing may have reached the dev server's last-resort handler (config/dev-server.ts): each cause
 * found so far is fixed where it arose, and a new one fails here rather than hide behind it.
 */

/** The first request compiles the server entry and every module of the page: slow on a busy machine. */
const FIRST_ANSWER_TIMEOUT_MS = 90_000;
/** A page's first visit compiles its modules, in the server and the browser. */
const DEV_WAIT_MS = 60_000;
const FLOW_TIMEOUT_MS = 120_000;
const PASSWORD = "dev-mode-password-1";
/** What config/dev-server.ts prints when an error reaches it. */
const LAST_RESORT = /^.*\[dev\] (?:unhandled rejection|uncaught exception).*$/gm;

interface DevServer {
  /** `npm run dev`'s supervisor (scripts/dev.ts, ADR 0046). */
  process: ChildProcess;
  /** The `vinxi dev` it started: the supervisor restarts a crashed one, so a crash shows as a new pid. */
  appPid?: number;
  base: string;
  log: () => string;
}

function startDevServer(port: number): DevServer {
  const env: NodeJS.ProcessEnv = { ...process.env, ...inject("appEnv"), SUPABASE_BACKEND: "env", PORT: String(port) };
  // As in a terminal: vitest sets NODE_ENV=test.
  delete env.NODE_ENV;
  let output = "";
  // package.json's `dev` script on this Node: `node --import tsx scripts/dev.ts`. Its own process
  // group; the supervisor stops `vinxi dev` (a group of its own) when it is stopped.
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/dev.ts"], {
    cwd: projectRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  return { process: child, base: `http://localhost:${port}`, log: () => output };
}

/** The supervisor's `vinxi dev` child, from /proc (Linux, as the dev-command suite). */
function appProcess(supervisor: number): number | undefined {
  for (const name of readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const [state, parent] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(parent) !== supervisor || state === "Z") continue;
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").includes("vinxi/bin/cli.mjs")) return Number(name);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

function stopped(dev: DevServer): string | null {
  const { exitCode, signalCode } = dev.process;
  const log = () => dev.log().slice(-4000);
  if (exitCode !== null || signalCode !== null) return `npm run dev exited (${exitCode ?? signalCode}):\n${log()}`;
  if (dev.appPid !== undefined && appProcess(dev.process.pid ?? -1) !== dev.appPid) {
    return `vinxi dev (pid ${dev.appPid}) is gone:\n${log()}`;
  }
  return null;
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(FIRST_ANSWER_TIMEOUT_MS) })).ok;
  } catch {
    return false; // not listening yet
  }
}

async function firstAnswer(dev: DevServer): Promise<void> {
  const deadline = Date.now() + FIRST_ANSWER_TIMEOUT_MS;
  while (!(await answers(`${dev.base}/login`))) {
    const gone = stopped(dev);
    if (gone) throw new Error(gone);
    if (Date.now() > deadline) throw new Error(`npm run dev did not answer ${dev.base}/login:\n${dev.log()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  dev.appPid = appProcess(dev.process.pid ?? -1);
  if (dev.appPid === undefined) throw new Error(`no vinxi dev under npm run dev:\n${dev.log()}`);
}

/** The same dev server still running and answering a page, and nothing reached its last resort. */
async function expectStillServing(dev: DevServer): Promise<void> {
  expect(stopped(dev)).toBeNull();
  const response = await fetch(`${dev.base}/login`, { signal: AbortSignal.timeout(30_000) });
  expect(response.status).toBe(200);
  await response.body?.cancel();
  expect(dev.log().match(LAST_RESORT) ?? []).toEqual([]);
}

/** A GET with the path exactly as written: fetch() would resolve `..` and `%2e` first. */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    get({ hostname, port, path }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    }).on("error", reject);
  });
}

describeInBrowser("npm run dev (vinxi dev): the flows a newcomer walks", () => {
  const harness = useBrowser();
  let dev: DevServer;
  const uncaught: (() => string[])[] = [];

  beforeAll(async () => {
    dev = startDevServer(await freePort());
    await firstAnswer(dev);
  }, FIRST_ANSWER_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    const child = dev?.process;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const stopped = once(child, "exit");
    process.kill(-child.pid, "SIGTERM");
    await stopped;
  });

  afterEach(async () => {
    expect(uncaught.splice(0).flatMap((read) => read())).toEqual([]);
    await expectStillServing(dev);
  });

  /** A page in a context of its own on the dev server, its uncaught errors checked after the test. */
  async function devPage(): Promise<Page> {
    const context = await harness.newContext({ baseURL: dev.base });
    context.setDefaultTimeout(DEV_WAIT_MS);
    context.setDefaultNavigationTimeout(DEV_WAIT_MS);
    const page = await context.newPage();
    uncaught.push(await watchUncaughtErrors(page));
    return page;
  }

  async function submitSignIn(page: Page, email: string, next: string, password = PASSWORD): Promise<void> {
    await page.goto(`/login?next=${encodeURIComponent(next)}`);
    await waitForHydration(page, DEV_WAIT_MS);
    const form = page.locator("form", { has: page.locator('input[name="password"]') });
    await form.locator('input[name="email"]').fill(email);
    await form.locator('input[name="password"]').fill(password);
    await form.getByRole("button", { name: "Sign in" }).click();
  }

  async function signedIn(page: Page, email: string, next: string): Promise<void> {
    await submitSignIn(page, email, next);
    await page.waitForURL((url) => url.pathname + url.search === next);
    await page.getByTestId("signed-in-as").getByText(email).waitFor({ state: "attached" });
    await waitForHydration(page, DEV_WAIT_MS);
  }

  /** A link the page did not have, clicked: the router handles it in the same document. */
  async function followLink(page: Page, href: string): Promise<void> {
    await page.evaluate((target) => {
      Object.assign(window, { __sameDocument: true });
      const link = Object.assign(document.createElement("a"), { href: target, textContent: "dev-mode link" });
      document.querySelector("main")?.append(link);
    }, href);
    await page.getByRole("link", { name: "dev-mode link" }).click();
    await page.waitForURL((url) => url.pathname === href);
  }

  async function isSameDocument(page: Page): Promise<boolean> {
    return page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument === true);
  }

  it("pages, redirects and the 404 page carry the headers, with development's additions only", async () => {
    for (const [path, status] of [
      ["/login", 200],
      ["/messages", 302],
      ["/no-such-page", 404],
    ] as const) {
      const response = await fetch(`${dev.base}${path}`, { redirect: "manual", headers: { accept: "text/html" } });
      expect(response.status, path).toBe(status);
      const policy = response.headers.get("content-security-policy") ?? "";
      const nonce = /'nonce-([^']+)'/.exec(policy)?.[1];
      expect(nonce, path).toBeTruthy();
      expect(policy, path).toContain(`script-src 'self' 'nonce-${nonce}';`);
      expect(policy, path).toContain(`style-src 'self' 'nonce-${nonce}';`);
      expect(policy, path).toContain("ws://localhost:*");
      expect(policy, path).not.toContain("unsafe-");
      expect(response.headers.get("x-frame-options"), path).toBe("DENY");
      expect(response.headers.get("x-content-type-options"), path).toBe("nosniff");
    }
  });

  // Vite's client inserts the stylesheets and opens its HMR socket; the router loads the next
  // route's modules on a client-side navigation: each would report a violation (see browser.ts).
  it("a page hydrates, is styled, and navigates client-side with no violation", { timeout: FLOW_TIMEOUT_MS }, async () => {
    const page = await devPage();
    await page.goto("/login");
    await waitForHydration(page, DEV_WAIT_MS);
    // The design tokens of src/app.css: the stylesheet applied.
    expect(await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--radius").trim())).toBe("8px");
    await page.evaluate(() => Object.assign(window, { __sameDocument: true }));
    await page.getByRole("link", { name: "Create an account" }).click();
    await page.waitForURL((url) => url.pathname === "/signup");
    await page.getByRole("heading", { name: "Create an account" }).waitFor();
    expect(await isSameDocument(page)).toBe(true);
  });

  it("signs in, sees a page with CSS of its own styled, signs out", { timeout: FLOW_TIMEOUT_MS }, async () => {
    const email = uniqueEmail("dev-sign-in");
    await createConfirmedUser(email, PASSWORD);
    const page = await devPage();
    await signedIn(page, email, "/messages");
    // The feed's own stylesheet (src/features/messages/message-list.css) applied, under the policy.
    expect(await page.locator(".feed-header").evaluate((element) => getComputedStyle(element).display)).toBe("flex");
    await page.getByRole("link", { name: "Sign out" }).click();
    await page.waitForURL((url) => url.pathname === "/logout");
    await waitForHydration(page, DEV_WAIT_MS);
    await page.getByRole("button", { name: "Sign out on this device" }).click();
    await page.waitForURL((url) => url.pathname === "/login" && url.searchParams.get("signed_out") === "1");
    expect(await sessionCookieNames(page.context())).toEqual([]);
  });

  // The report's case was bob@example.com, a seeded user without the role; a user of its own keeps
  // the seeded accounts' sign-in limits for the other suites.
  it(
    "a page for moderators, opened by a user without the role: 403 page on a full load and in the app",
    { timeout: FLOW_TIMEOUT_MS },
    async () => {
      const email = uniqueEmail("dev-forbidden");
      await createConfirmedUser(email, PASSWORD);
      const page = await devPage();
      await signedIn(page, email, "/protected");

      const response = await page.goto("/moderation");
      expect(response?.status()).toBe(403);
      await page.getByRole("heading", { name: "You can't open this page" }).waitFor();
      await waitForHydration(page, DEV_WAIT_MS);

      await page.getByRole("link", { name: "Back to the home page" }).click();
      await page.waitForURL((url) => url.pathname === "/");
      await followLink(page, "/moderation");
      await page.getByRole("heading", { name: "You can't open this page" }).waitFor();
      expect(await isSameDocument(page)).toBe(true);
    },
  );

  it("a page that does not exist: 404 page on a full load and in the app", { timeout: FLOW_TIMEOUT_MS }, async () => {
    const page = await devPage();
    const response = await page.goto("/no-such-page");
    expect(response?.status()).toBe(404);
    await page.getByRole("heading", { name: "Page not found" }).waitFor();
    await waitForHydration(page, DEV_WAIT_MS);
    await followLink(page, "/no-such-page-either");
    await page.getByRole("heading", { name: "Page not found" }).waitFor();
    expect(await isSameDocument(page)).toBe(true);
  });

  it(
    "two-factor sign-in: from /login?next=/messages, and from a code page opened while signed out",
    { timeout: FLOW_TIMEOUT_MS },
    async () => {
      const email = uniqueEmail("dev-2fa");
      await createConfirmedUser(email, PASSWORD);
      // Enrolled through the built app: the factor is set up, not the flow under test.
      const enrolling = new AppClient();
      await enrolling.signIn(email, PASSWORD, "/");
      const { secret } = await enrolTotp(enrolling);

      async function enterCode(page: Page): Promise<void> {
        await page.getByRole("heading", { name: "Enter your code" }).waitFor();
        await waitForHydration(page, DEV_WAIT_MS);
        await page.getByLabel("Code").fill(totpCode(secret));
        await page.getByRole("button", { name: "Continue" }).click();
        await page.waitForURL((url) => url.pathname === "/messages");
        await page.getByTestId("signed-in-as").getByText(email).waitFor({ state: "attached" });
      }

      const first = await devPage();
      await submitSignIn(first, email, "/messages");
      await first.waitForURL((url) => url.pathname === "/two-factor");
      expect(new URL(first.url()).search).toBe("?next=%2Fmessages");
      await enterCode(first);

      // The code page's address from the browser's history: signing in leads to a code page whose
      // `next` is that code page, and the code leads through it. The single-flight answer of the
      // code's action renders that inner code page's data, which now redirects to /messages.
      const second = await devPage();
      await second.goto("/two-factor?next=%2Fmessages");
      await second.waitForURL((url) => url.pathname === "/login");
      expect(new URL(second.url()).searchParams.get("next")).toBe("/two-factor?next=%2Fmessages");
      await waitForHydration(second, DEV_WAIT_MS);
      const form = second.locator("form", { has: second.locator('input[name="password"]') });
      await form.locator('input[name="email"]').fill(email);
      await form.locator('input[name="password"]').fill(PASSWORD);
      await form.getByRole("button", { name: "Sign in" }).click();
      await second.waitForURL((url) => url.pathname === "/two-factor");
      await enterCode(second);
    },
  );

  it("signs up and confirms from the mailbox", { timeout: FLOW_TIMEOUT_MS }, async () => {
    const page = await devPage();
    const email = uniqueEmail("dev-signup");
    await page.goto("/signup");
    await waitForHydration(page, DEV_WAIT_MS);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel(/Password/).fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByText(`Check your email: we sent a confirmation link to ${email}`).waitFor();
    // The test backend allows redirects to the built app only, so the mail's link is the built
    // app's, and leads to its home page: the same link, on the dev server.
    const link = new URL(linkIn((await waitForMail(email, /Confirm Your Signup/)).text, "app"));
    await page.goto(`${link.pathname}${link.search}`);
    await page.getByTestId("signed-in-as").getByText(email).waitFor({ state: "attached" });
  });

  it("a message sent in one browser appears live in another", { timeout: FLOW_TIMEOUT_MS }, async () => {
    const [sender, reader] = await Promise.all([createFeedUser("devsend"), createFeedUser("devread")]);
    const [sending, reading] = await Promise.all([devPage(), devPage()]);
    for (const [page, user] of [
      [sending, sender],
      [reading, reader],
    ] as const) {
      await submitSignIn(page, user.email, "/messages", user.password);
      await page.waitForURL((url) => url.pathname === "/messages");
      await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor();
    }
    const body = `from the dev server ${randomUUID()}`;
    const id = await sendFromPage(sending, body);
    await waitForMessage(reading, id, body);
  });

  it(
    "a loader and a server function that fail: error pages and a message, the server keeps serving",
    { timeout: FLOW_TIMEOUT_MS },
    async () => {
      // From outside, as a broken migration would: the database refuses the app's role.
      const sql = postgres(inject("appDatabaseUrl"), { max: 1, onnotice: () => undefined });
      try {
        const email = uniqueEmail("dev-faults");
        await createConfirmedUser(email, PASSWORD);
        const page = await devPage();
        await signedIn(page, email, "/protected");

        await sql`revoke select on public.messages from authenticated`;
        try {
          const response = await page.goto("/messages");
          expect(response?.status()).toBe(500);
          await page.getByRole("heading", { name: "Something went wrong" }).waitFor();
          await waitForHydration(page, DEV_WAIT_MS);
          await page.getByRole("navigation").getByRole("link", { name: "Home" }).click();
          await page.waitForURL((url) => url.pathname === "/");
          await page.evaluate(() => Object.assign(window, { __sameDocument: true }));
          await page.getByRole("navigation").getByRole("link", { name: "Messages" }).click();
          await page.getByRole("heading", { name: "Something went wrong" }).waitFor();
          expect(await isSameDocument(page)).toBe(true);
        } finally {
          await sql`grant select on public.messages to authenticated`;
        }

        await page.goto("/messages");
        await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor();
        await sql`revoke insert on public.messages from authenticated`;
        try {
          const id = await sendFromPage(page, "refused by the database");
          // The database's refusal, as the app words it for the user.
          await page
            .locator(`li.message.pending[data-message-id="${id}"][data-status="failed"]`)
            .getByRole("alert")
            .getByText("Not sent: You cannot send that message.")
            .waitFor();
        } finally {
          await sql`grant insert on public.messages to authenticated`;
        }
      } finally {
        await sql.end();
      }
    },
  );

  it(
    "hostile input to its server functions and forms: refused with a message, never a 500 or a stack",
    { timeout: FLOW_TIMEOUT_MS },
    async () => {
      const email = uniqueEmail("dev-hostile");
      await createConfirmedUser(email, PASSWORD);
      const member = new AppClient({ base: dev.base });
      await member.signIn(email, PASSWORD, "/");
      const findings: string[] = [];
      // The dev server's own pages and URLs carry the project's path (SolidStart's dev server-function
      // URLs name the source file): that is development, not a leak. Everything else is one.
      const leaks = LEAK_PATTERNS.filter(([what]) => what !== "a server path");

      function check(what: string, response: Response, bytes: Uint8Array, value?: unknown): void {
        if (response.status >= 500) findings.push(`${what}: status ${response.status}`);
        const text = exposedText(response, bytes);
        for (const [leak, pattern] of leaks) if (pattern.test(text)) findings.push(`${what}: ${leak}`);
        // A refusal: a 4xx, or (a form's answer with JavaScript, tests/app/request-boundary.test.ts)
        // X-Error with the error in the body; without JavaScript, the flash cookie's error.
        if (response.status >= 400 || response.headers.has("x-error")) {
          const message = value instanceof Error ? value.message : new TextDecoder().decode(bytes).trim();
          if (!message || message === "true") findings.push(`${what}: ${response.status} without a message`);
        }
        const flash = flashOf(response);
        if (flash?.error && !(typeof flash.result === "string" && flash.result))
          findings.push(`${what}: an error flash without a message`);
      }

      // Their ids are the build's (both name the source file, relative to the project), but the dev
      // server knows a module's functions only once it has compiled that module: a call before
      // any page imported it is a 404. So each is first reached through a page that uses it.
      const byName = new Map((await builtServerFunctions()).map((fn) => [fn.name, fn]));
      const functions: ServerFunction[] = [];
      for (const [name, page] of [
        ["getFeed", "/messages"],
        ["getChangesSince", "/messages"],
        ["getSignalNames", "/messages"],
        ["getConversation", "/messages/direct/carol"],
        ["getModerationQueue", "/moderation"],
        ["getSecondFactorPage", "/two-factor"],
      ] as const) {
        const fn = byName.get(name);
        if (!fn) throw new Error(`no ${name} in the build`);
        await (await member.request(page, { headers: { accept: "text/html" } })).body?.cancel();
        const known = await callServerFunction(member, fn, { args: [] });
        expect(known.response.status, `${name} is served after ${page}`).not.toBe(404);
        functions.push(fn);
      }

      const jobs: (() => Promise<void>)[] = [];
      for (const fn of functions) {
        const calls: [string, Parameters<typeof callServerFunction>[2], Record<string, string>?][] = [
          ...HOSTILE_ARGUMENTS.map(([label, args]): [string, { args: unknown[] }] => [label, { args }]),
          ...HOSTILE_BODIES.map((body): [string, { raw: string; contentType?: string }, Record<string, string>?] => [
            body.label,
            { raw: body.body, contentType: body.contentType },
            body.headers,
          ]),
          ...HOSTILE_HEADERS.map(([label, headers]): [string, { args: unknown[] }, Record<string, string>] => [
            label,
            { args: [null] },
            headers,
          ]),
        ];
        for (const [label, call, headers] of calls) {
          jobs.push(async () => {
            const result = await callServerFunction(member, fn, call, headers);
            check(`${fn.name}: ${label}`, result.response, result.bytes, result.value);
          });
        }
      }

      const sendAction = await member.actionUrl("/messages", "sendMessage");
      const signInAction = await new AppClient({ base: dev.base }).actionUrl("/login", "signIn");
      const baseline = { id: randomUUID(), body: "a well-formed message" };
      for (const field of ["id", "body"] as const) {
        for (const [label, value] of HOSTILE_STRINGS) {
          const fields = { ...baseline, id: randomUUID(), [field]: value };
          jobs.push(async () => {
            const response = await member.post(sendAction, "/messages", fields);
            check(`sendMessage ${field} = ${label} (no JS)`, response, new Uint8Array(await response.arrayBuffer()));
          });
          jobs.push(async () => {
            const form = new FormData();
            for (const [key, entry] of Object.entries({ ...fields, id: field === "id" ? value : randomUUID() }))
              form.set(key, entry);
            const id = new URL(sendAction, dev.base).searchParams.get("id") ?? "";
            const result = await callServerFunction(member, { id }, { form }, { referer: `${dev.base}/messages` });
            check(`sendMessage ${field} = ${label} (JS)`, result.response, result.bytes, result.value);
          });
        }
      }
      for (const field of ["email", "password", "next"] as const) {
        for (const [label, value] of HOSTILE_STRINGS) {
          jobs.push(async () => {
            // A client (and so a client IP) per attempt: the sign-in limit is not what is tested.
            const visitor = new AppClient({ base: dev.base });
            const fields = { email: uniqueEmail("dev-hostile-sign-in"), password: PASSWORD, next: "/", [field]: value };
            const response = await visitor.post(signInAction, "/login", fields);
            check(`signIn ${field} = ${label} (no JS)`, response, new Uint8Array(await response.arrayBuffer()));
          });
        }
      }

      let next = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (next < jobs.length) await (jobs[next++] as () => Promise<void>)();
        }),
      );
      expect(findings).toEqual([]);
    },
  );

  it("does not serve the project's private files (.cache/, .env, .git) to the browser", async () => {
    const probe = `dev-mode-probe-${randomUUID()}`;
    const root = projectRoot.replace(/\/$/, "");
    await mkdir(join(root, ".cache"), { recursive: true });
    await writeFile(join(root, ".cache", probe), "a secret the dev server must not serve\n");
    try {
      const served = await rawGet(dev.base, `/_build/@fs${root}/src/app.css`);
      expect(served.status, "Vite's /@fs/ serves the project's own sources").toBe(200);
      for (const request of DEV_SERVER_FILE_REQUESTS) {
        const path = request.replaceAll("<root>", root).replaceAll("<probe>", probe);
        const { status, body } = await rawGet(dev.base, path);
        expect(`${path}: ${status}`).toMatch(/: 40[34]$/);
        expect(body, path).not.toContain("must not serve");
      }
    } finally {
      await rm(join(root, ".cache", probe), { force: true });
    }
  });
});
