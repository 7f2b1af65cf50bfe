import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import type { Backend } from "../../supabase/embedded/backend.ts";
import { readConfig } from "../../supabase/embedded/config.ts";
import { type EmbeddedStack, startEmbeddedStack } from "./embedded-stack.ts";
import { freePort } from "./free-port.ts";

declare module "vitest" {
  export interface ProvidedContext {
    appUrl: string;
    apiUrl: string;
    mailboxUrl: string;
    publishableKey: string;
    secretKey: string;
    /** Superuser URL of the database the app and the backend share. */
    appDatabaseUrl: string;
    /** Folder with the backend's signing key (tests mint expired tokens with it). */
    authStateDir: string;
    /**
     * GET: auth API requests seen so far, by "METHOD /path"; DELETE: reset.
     * POST <url>/drop-realtime: closes every open Realtime WebSocket (a network cut, seen from
     * the server), answering how many were open.
     */
    authCounterUrl: string;
  }
}

const root = fileURLToPath(new URL("../..", import.meta.url));

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")}:\n${output}`))));
  });
}

export async function waitForHttp(url: string, app: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
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

function startCounter(backend: Backend): Promise<{ server: Server; url: string }> {
  const counts = new Map<string, number>();
  const sockets = new Set<Duplex>();
  backend.server.on("request", (request) => {
    const key = `${request.method} ${new URL(request.url ?? "/", "http://x").pathname}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  backend.server.on("upgrade", (_request, socket: Duplex) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  const server = createServer((request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    if (request.method === "POST" && request.url === "/drop-realtime") {
      const open = sockets.size;
      for (const socket of sockets) socket.destroy();
      response.end(JSON.stringify({ dropped: open }));
      return;
    }
    if (request.method === "DELETE") counts.clear();
    response.end(JSON.stringify(Object.fromEntries(counts)));
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve({ server, url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}` });
    });
  });
}

/**
 * The BUILT app (vinxi build, node-server output) against an embedded backend over a throw-away
 * cluster, all on free loopback ports. TRUST_PROXY=1 lets each test act as its own client IP
 * through X-Forwarded-For, so per-IP rate limits stay independent between tests.
 */
export default async function setup(project: TestProject) {
  let stack: EmbeddedStack | undefined;
  let app: ChildProcess | undefined;
  let counter: Server | undefined;
  const teardown = async () => {
    if (app && app.exitCode === null) {
      app.kill("SIGTERM");
      await once(app, "exit");
    }
    counter?.close();
    await stack?.stop();
  };
  try {
    const building = process.env.SKIP_APP_BUILD === "1" ? Promise.resolve() : run(process.execPath, [join(root, "node_modules/vinxi/bin/cli.mjs"), "build"], process.env);
    const appPort = await freePort();
    const appUrl = `http://127.0.0.1:${appPort}`;
    const config = readConfig();
    config.auth.site_url = appUrl;
    config.auth.additional_redirect_urls = [`${appUrl}/**`];
    config.auth.rate_limit = { ...config.auth.rate_limit, email_sent: 10_000, sign_in_sign_ups: 10_000 };
    config.auth.email.max_frequency = "0s";
    stack = await startEmbeddedStack({ database: "app", config });
    const { backend, adminUrl, rlsUrl, stateDir } = stack;
    const started = await startCounter(backend);
    counter = started.server;
    await building;

    let log = "";
    app = spawn(process.execPath, [join(root, ".output/server/index.mjs")], {
      cwd: root,
      env: {
        ...process.env,
        NODE_ENV: "production",
        HOST: "127.0.0.1",
        PORT: String(appPort),
        TRUST_PROXY: "1",
        VITE_SUPABASE_URL: backend.apiUrl,
        VITE_SUPABASE_PUBLISHABLE_KEY: backend.publishableKey,
        SUPABASE_SECRET_KEY: backend.secretKey,
        DATABASE_URL: rlsUrl,
        ADMIN_DATABASE_URL: adminUrl,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    app.stdout?.on("data", (chunk) => (log += chunk));
    app.stderr?.on("data", (chunk) => (log += chunk));
    await waitForHttp(`${appUrl}/favicon.svg`, app, () => log);

    project.provide("appUrl", appUrl);
    project.provide("apiUrl", backend.apiUrl);
    project.provide("mailboxUrl", backend.mailUrl);
    project.provide("publishableKey", backend.publishableKey);
    project.provide("secretKey", backend.secretKey);
    project.provide("appDatabaseUrl", adminUrl);
    project.provide("authStateDir", stateDir);
    project.provide("authCounterUrl", started.url);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
