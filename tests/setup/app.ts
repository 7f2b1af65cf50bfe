import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import type { TestProject } from "vitest/node";
import type { LocalSupabase, SupabaseConfig } from "local-supabase";
import { type LocalApp, startLocalApp } from "../../scripts/local-env.ts";
import {
  type AppServer,
  appEnvFor,
  projectRoot as root,
  RLS_CLIENT_PASSWORD,
  relaxedLimits,
  startAppServer,
} from "./app-server.ts";
import { freePort } from "local-supabase/testing";
import { startTurnServer } from "./turns.ts";

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
    /** The environment the app server runs with: another instance started with it shares everything. */
    appEnv: Record<string, string>;
    /** Turns at the shared backend (tests/setup/turns.ts, tests/fixtures/turn.ts). */
    turnsUrl: string;
  }
}

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

function startCounter(supabase: LocalSupabase): Promise<{ server: Server; url: string }> {
  const counts = new Map<string, number>();
  const sockets = new Set<Duplex>();
  supabase.apiServer.on("request", (request) => {
    const key = `${request.method} ${new URL(request.url ?? "/", "http://x").pathname}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  supabase.apiServer.on("upgrade", (_request, socket: Duplex) => {
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
 * The BUILT app (vinxi build, node-server output) against an ephemeral local Supabase, all on
 * free loopback ports. TRUST_PROXY=1 lets each test act as its own client IP
 * through X-Forwarded-For, so per-IP rate limits stay independent between tests.
 */
export default async function setup(project: TestProject) {
  let stack: LocalApp | undefined;
  let app: AppServer | undefined;
  let counter: Server | undefined;
  let turns: Awaited<ReturnType<typeof startTurnServer>> | undefined;
  const building =
    process.env.SKIP_APP_BUILD === "1"
      ? Promise.resolve()
      : run(process.execPath, [join(root, "node_modules/vinxi/bin/cli.mjs"), "build"], process.env);
  // Its failure reaches the test files through `ready` below (and their turns).
  building.catch(() => undefined);
  let ready: Promise<void> = building;
  const teardown = async () => {
    await ready.catch(() => undefined);
    turns?.close();
    await app?.stop();
    counter?.close();
    await stack?.supabase.stop();
  };
  try {
    const appPort = await freePort();
    const appUrl = `http://127.0.0.1:${appPort}`;
    const configure = (config: SupabaseConfig) => {
      config.auth.site_url = appUrl;
      config.auth.additional_redirect_urls = [`${appUrl}/**`];
      relaxedLimits(config);
    };
    stack = await startLocalApp({ ephemeral: true, database: "app", configure }, RLS_CLIENT_PASSWORD);
    const { supabase } = stack;
    const started = await startCounter(supabase);
    counter = started.server;

    const appEnv = appEnvFor(stack);
    // The build goes on while the other projects' files run: the app project's files wait for the
    // app server in their turn (a failed build or start fails each of them with its output).
    ready = building.then(async () => {
      app = await startAppServer(appPort, appEnv);
    });
    turns = await startTurnServer(ready);

    project.provide("appUrl", appUrl);
    project.provide("apiUrl", supabase.apiUrl);
    project.provide("mailboxUrl", supabase.mailboxUrl);
    project.provide("publishableKey", supabase.publishableKey);
    project.provide("secretKey", supabase.secretKey);
    project.provide("appDatabaseUrl", supabase.dbUrl);
    project.provide("authStateDir", supabase.dataDir);
    project.provide("authCounterUrl", started.url);
    project.provide("appEnv", appEnv);
    project.provide("turnsUrl", turns.url);
  } catch (error) {
    await teardown();
    throw error;
  }
  return async () => {
    await teardown();
    // A runtime the dependencies no longer support says so on the server's output (supabase-js
    // on Node 20, Node's own DeprecationWarning): fail the run rather than let it scroll by.
    const deprecated = (app?.log() ?? "").split("\n").filter((line) => /deprecat/i.test(line));
    if (deprecated.length > 0) throw new Error(`the app server printed deprecation warnings:\n${deprecated.join("\n")}`);
  };
}
