import { existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { combineChunks, createChunks, stringFromBase64URL, stringToBase64URL } from "@supabase/ssr";
import { decodeJwt } from "jose";
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, inject } from "vitest";
import { signWithBackendKey, type StoredSession } from "../fixtures/session-tokens.ts";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./chromium.ts";

const skipReason = process.env.SKIP_BROWSER_TESTS === "1" ? "SKIP_BROWSER_TESTS=1: browser tests skipped" : undefined;

/**
 * `describe` for browser suites: skipped (visibly, with the reason in the name) only when
 * SKIP_BROWSER_TESTS=1; a missing Chromium is a failure that says how to install it.
 */
export function describeInBrowser(name: string, body: () => void): void {
  if (skipReason) describe.skip(`${name} [${skipReason}]`, body);
  else describe(name, body);
}

export interface BrowserHarness {
  /** A new context (own cookie jar, own client IP for the app's rate limits), closed after the test. */
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
  /** The policy violations seen so far in this test, taken out so they do not fail it: for a test that provokes one. */
  takePolicyViolations(): PolicyViolation[];
}

/** What a page reported through its `securitypolicyviolation` event. */
export interface PolicyViolation {
  page: string;
  directive: string;
  blocked: string;
  source: string;
  sample: string;
}

/**
 * Reports every Content-Security-Policy violation of every page and frame of the context to
 * `record`. The listener is installed through the DevTools protocol before any page script runs,
 * so the page's own policy cannot block it, and it hears violations on every element (capture).
 */
async function reportPolicyViolations(context: BrowserContext, record: (violation: PolicyViolation) => void): Promise<void> {
  await context.exposeBinding("__reportPolicyViolation", (_source, violation: PolicyViolation) => record(violation));
  await context.addInitScript(() => {
    const report = (window as unknown as { __reportPolicyViolation: (violation: PolicyViolation) => void })
      .__reportPolicyViolation;
    document.addEventListener(
      "securitypolicyviolation",
      (event) =>
        void report({
          page: location.href,
          directive: event.effectiveDirective,
          blocked: event.blockedURI,
          source: `${event.sourceFile}:${event.lineNumber}`,
          sample: event.sample,
        }),
      true,
    );
  });
}

/**
 * One Chromium per test file (Playwright's launch gives every browser a fresh temporary profile
 * directory and removes it on close); one context per test, all closed in afterEach, so no cookie,
 * tab or BroadcastChannel survives into the next test. Any Content-Security-Policy violation in a
 * context fails the test that opened it (ADR 0043): the app must work under its own policy.
 */
export function useBrowser(): BrowserHarness {
  let browser: Browser | undefined;
  const open: BrowserContext[] = [];
  const violations: PolicyViolation[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM_PATH)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM_PATH}. Install it with ` +
          "`apt-get update && apt-get install -y --no-install-recommends chromium fonts-liberation`, " +
          "set CHROMIUM_PATH to another Chromium build, or set SKIP_BROWSER_TESTS=1 to skip the browser tests.",
      );
    }
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
  }, 60_000);

  afterEach(async () => {
    await Promise.all(open.splice(0).map((context) => context.close()));
    const seen = violations.splice(0);
    if (seen.length > 0) {
      const lines = seen.map((v) => `${v.directive} blocked ${v.blocked || "(inline)"} on ${v.page} at ${v.source} ${v.sample}`);
      throw new Error(`Content-Security-Policy violations:\n${lines.join("\n")}`);
    }
  });

  afterAll(async () => {
    await browser?.close();
  });

  return {
    async newContext(options = {}) {
      if (!browser) throw new Error("the browser did not start");
      const context = await browser.newContext({
        baseURL: inject("appUrl"),
        ...options,
        // The app under test trusts X-Forwarded-For: a client IP of its own per context.
        extraHTTPHeaders: { "x-forwarded-for": `10.${randomBytes(3).join(".")}`, ...options.extraHTTPHeaders },
      });
      await reportPolicyViolations(context, (violation) => violations.push(violation));
      context.setDefaultTimeout(10_000);
      context.setDefaultNavigationTimeout(15_000);
      open.push(context);
      return context;
    },
    takePolicyViolations() {
      return violations.splice(0);
    },
  };
}

/**
 * The uncaught errors of a page as its console shows them: exceptions, and promise rejections with
 * no handler, each withdrawn again when a handler comes later (the console does the same).
 * Playwright's `pageerror` cannot withdraw one, so this listens through the DevTools protocol.
 * Attach it before the page's first navigation; it returns a function that reads what stands.
 */
export async function watchUncaughtErrors(page: Page): Promise<() => string[]> {
  const session = await page.context().newCDPSession(page);
  const standing = new Map<number, string>();
  session.on("Runtime.exceptionThrown", ({ exceptionDetails }) => {
    standing.set(exceptionDetails.exceptionId, exceptionDetails.exception?.description ?? exceptionDetails.text);
  });
  session.on("Runtime.exceptionRevoked", ({ exceptionId }) => standing.delete(exceptionId));
  await session.send("Runtime.enable");
  return () => [...standing.values()];
}

const SESSION_COOKIE = /^sb-[^.]+-auth-token(\.\d+)?$/;

/** The session cookie names the browser holds, sorted. */
export async function sessionCookieNames(context: BrowserContext): Promise<string[]> {
  return (await context.cookies())
    .map((cookie) => cookie.name)
    .filter((name) => SESSION_COOKIE.test(name))
    .sort();
}

/** The session the browser's cookie jar holds (combined chunks, `base64-` decoded). */
export async function readBrowserSession(context: BrowserContext): Promise<{ key: string; session: StoredSession }> {
  const cookies = (await context.cookies()).filter((cookie) => SESSION_COOKIE.test(cookie.name));
  const first = cookies[0];
  if (!first) throw new Error("no session cookie in the browser");
  const key = first.name.replace(/\.\d+$/, "");
  const raw = await combineChunks(key, (name) => cookies.find((cookie) => cookie.name === name)?.value);
  if (!raw) throw new Error("no session cookie in the browser");
  return { key, session: JSON.parse(stringFromBase64URL(raw.replace(/^base64-/, ""))) as StoredSession };
}

/**
 * Rewrites the browser's session so its access token expired `ago` seconds ago (still validly
 * signed): the same approach as tests/fixtures/session-tokens.ts `expireAccessToken`, on the
 * browser's cookie jar, keeping every cookie attribute the app set.
 */
export async function expireBrowserAccessToken(context: BrowserContext, ago = 60): Promise<StoredSession> {
  const { key, session } = await readBrowserSession(context);
  const all = await context.cookies();
  const template = all.find((cookie) => SESSION_COOKIE.test(cookie.name));
  if (!template) throw new Error("no session cookie in the browser");
  const now = Math.floor(Date.now() / 1000);
  const token = await signWithBackendKey({ ...decodeJwt(session.access_token), iat: now - 3600, exp: now - ago });
  const updated: StoredSession = { ...session, access_token: token, expires_at: now - ago };
  await context.clearCookies({ name: SESSION_COOKIE });
  await context.addCookies(
    createChunks(key, `base64-${stringToBase64URL(JSON.stringify(updated))}`).map((chunk) => ({
      name: chunk.name,
      value: chunk.value,
      domain: template.domain,
      path: template.path,
      expires: template.expires,
      httpOnly: template.httpOnly,
      secure: template.secure,
      sameSite: template.sameSite,
    })),
  );
  return updated;
}
