import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SupabaseConfig } from "local-supabase";
import { type LocalApp, startLocalApp } from "../../scripts/local-env.ts";
import { freePort } from "local-supabase/testing";

export const projectRoot = fileURLToPath(new URL("../..", import.meta.url));

/** How long a starting app server may take to answer its first request. */
const STARTUP_TIMEOUT_MS = 30_000;

export interface AppServer {
  url: string;
  process: ChildProcess;
  /** Everything the server printed so far. */
  log: () => string;
  stop: () => Promise<void>;
}

async function waitForHttp(url: string, app: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (app.exitCode !== null) throw new Error(`the app exited (${app.exitCode}):\n${log()}`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`the app did not answer on ${url}:\n${log()}`);
}

/**
 * One process of the BUILT app (`.output/server/index.mjs`) on a loopback port, with the given
 * environment on top of this process's. Resolves once it serves a static file.
 */
export async function startAppServer(port: number, env: Record<string, string>): Promise<AppServer> {
  let output = "";
  const child = spawn(process.execPath, [join(projectRoot, ".output/server/index.mjs")], {
    cwd: projectRoot,
    env: { ...process.env, NODE_ENV: "production", HOST: "127.0.0.1", PORT: String(port), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const log = () => output;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    await once(child, "exit");
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/favicon.svg`, child, log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, process: child, log, stop };
}

/** The rls_client login's password in every test stack (test-only, like the stack itself). */
export const RLS_CLIENT_PASSWORD = "rls-client-test-password";

/** What an app server needs to run against `local`. */
export function appEnvFor(local: LocalApp): Record<string, string> {
  // Each test client acts as its own IP through X-Forwarded-For, so per-IP limits stay apart.
  return { TRUST_PROXY: "1", ...local.env };
}

/** Rate limits and mail throttling out of the way of tests that sign many users in. */
export function relaxedLimits(config: SupabaseConfig): void {
  config.auth.rate_limit = { ...config.auth.rate_limit, email_sent: 10_000, sign_in_sign_ups: 10_000 };
  config.auth.email.max_frequency = "0s";
}

/**
 * A dedicated local Supabase (own cluster, auth, Realtime) and `instances` app servers on it,
 * with `env` on top of the app's environment and `configure` applied to the backend's config.
 */
export async function startDedicatedApp(
  database: string,
  instances = 1,
  env: Record<string, string> = {},
  configure: (config: SupabaseConfig) => void = () => undefined,
): Promise<{ local: LocalApp; apps: AppServer[]; stop(): Promise<void> }> {
  const ports = await Promise.all(Array.from({ length: instances }, () => freePort()));
  const local = await startLocalApp(
    {
      ephemeral: true,
      database,
      configure: (config) => {
        config.auth.site_url = `http://127.0.0.1:${ports[0]}`;
        config.auth.additional_redirect_urls = ports.map((port) => `http://127.0.0.1:${port}/**`);
        relaxedLimits(config);
        configure(config);
      },
    },
    RLS_CLIENT_PASSWORD,
  );
  const apps: AppServer[] = [];
  const stop = async () => {
    await Promise.all(apps.map((app) => app.stop()));
    await local.supabase.stop();
  };
  try {
    for (const port of ports) apps.push(await startAppServer(port, { ...appEnvFor(local), ...env }));
  } catch (error) {
    await stop();
    throw error;
  }
  return { local, apps, stop };
}
