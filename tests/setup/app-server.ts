import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readConfig } from "../../supabase/embedded/config.ts";
import { waitForHttp } from "./app.ts";
import { type EmbeddedStack, startEmbeddedStack } from "./embedded-stack.ts";
import { freePort } from "./free-port.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface AppServer {
  url: string;
  /** What the server printed so far (warnings included). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * One more server process of the BUILT app (the app project's global setup built it) against
 * `stack`: for tests that must break the backend without breaking the shared one.
 */
export async function startAppServer(stack: EmbeddedStack, port: number): Promise<AppServer> {
  const url = `http://127.0.0.1:${port}`;
  let output = "";
  const app: ChildProcess = spawn(process.execPath, [join(root, ".output/server/index.mjs")], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: String(port),
      TRUST_PROXY: "1",
      VITE_SUPABASE_URL: stack.backend.apiUrl,
      VITE_SUPABASE_PUBLISHABLE_KEY: stack.backend.publishableKey,
      SUPABASE_SECRET_KEY: stack.backend.secretKey,
      DATABASE_URL: stack.rlsUrl,
      ADMIN_DATABASE_URL: stack.adminUrl,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  app.stdout?.on("data", (chunk) => (output += chunk));
  app.stderr?.on("data", (chunk) => (output += chunk));
  const stop = async () => {
    if (app.exitCode !== null || app.signalCode !== null) return;
    app.kill("SIGTERM");
    await once(app, "exit");
  };
  try {
    await waitForHttp(`${url}/favicon.svg`, app, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, log: () => output, stop };
}

/** A dedicated embedded backend (own cluster, auth, Realtime) and `instances` app servers on it. */
export async function startDedicatedApp(database: string, instances = 1): Promise<{ stack: EmbeddedStack; apps: AppServer[]; stop(): Promise<void> }> {
  const ports = await Promise.all(Array.from({ length: instances }, () => freePort()));
  const config = readConfig();
  config.auth.site_url = `http://127.0.0.1:${ports[0]}`;
  config.auth.additional_redirect_urls = ports.map((port) => `http://127.0.0.1:${port}/**`);
  config.auth.rate_limit = { ...config.auth.rate_limit, email_sent: 10_000, sign_in_sign_ups: 10_000 };
  const stack = await startEmbeddedStack({ database, config });
  const apps: AppServer[] = [];
  const stop = async () => {
    await Promise.all(apps.map((app) => app.stop()));
    await stack.stop();
  };
  try {
    for (const port of ports) apps.push(await startAppServer(stack, port));
  } catch (error) {
    await stop();
    throw error;
  }
  return { stack, apps, stop };
}
