import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { freePort } from "@solidstart-supabase/local-supabase/testing";
import { projectRoot } from "../setup/app-server.ts";
import { describeInBrowser, useBrowser } from "./browser.ts";
import { waitForHydration } from "./pages.ts";

/** The first request compiles the server entry and every module of the page: slow on a busy machine. */
const FIRST_ANSWER_TIMEOUT_MS = 90_000;

/**
 * `vinxi dev` (what `npm run dev` starts, without choosing a backend) on a free port, against the
 * test stack's local Supabase. Its own process group, so its workers stop with it.
 */
function startDevServer(port: number): { process: ChildProcess; log: () => string } {
  let output = "";
  const child = spawn(process.execPath, [join(projectRoot, "node_modules/vinxi/bin/cli.mjs"), "dev", "--port", String(port)], {
    cwd: projectRoot,
    env: { ...process.env, ...inject("appEnv"), NODE_ENV: "development" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  return { process: child, log: () => output };
}

async function firstAnswer(url: string, dev: { process: ChildProcess; log: () => string }): Promise<void> {
  const deadline = Date.now() + FIRST_ANSWER_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (dev.process.exitCode !== null) throw new Error(`vinxi dev exited (${dev.process.exitCode}):\n${dev.log()}`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(FIRST_ANSWER_TIMEOUT_MS) })).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`vinxi dev did not answer ${url}:\n${dev.log()}`);
}

describeInBrowser("the development server (vinxi dev) under the Content-Security-Policy", () => {
  const harness = useBrowser();
  let dev: { process: ChildProcess; log: () => string } | undefined;
  let base = "";

  beforeAll(async () => {
    const port = await freePort();
    base = `http://localhost:${port}`;
    dev = startDevServer(port);
    await firstAnswer(`${base}/login`, dev);
  }, FIRST_ANSWER_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    const child = dev?.process;
    if (!child?.pid || child.exitCode !== null) return;
    const exited = once(child, "exit");
    process.kill(-child.pid, "SIGTERM");
    await exited;
  });

  it("pages, redirects and the 404 page carry the headers, with development's additions only", async () => {
    for (const [path, status] of [
      ["/login", 200],
      ["/messages", 302],
      ["/no-such-page", 404],
    ] as const) {
      const response = await fetch(`${base}${path}`, { redirect: "manual", headers: { accept: "text/html" } });
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
  it("a page hydrates, is styled, and navigates client-side with no violation", { timeout: 120_000 }, async () => {
    const page = await (await harness.newContext({ baseURL: base })).newPage();
    await page.goto("/login", { timeout: FIRST_ANSWER_TIMEOUT_MS });
    await waitForHydration(page, FIRST_ANSWER_TIMEOUT_MS);
    // The design tokens of src/app.css: the stylesheet applied.
    expect(await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--radius").trim())).toBe("8px");
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    await page.getByRole("link", { name: "Create an account" }).click();
    await page.waitForURL((url) => url.pathname === "/signup", { timeout: FIRST_ANSWER_TIMEOUT_MS });
    await page.getByRole("heading", { name: "Create an account" }).waitFor({ timeout: FIRST_ANSWER_TIMEOUT_MS });
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
  });
});
