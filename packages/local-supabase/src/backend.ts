import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import postgres from "postgres";
import { AUTH_PREFIX, corsHeaders, createAuthHandler } from "./auth/server.ts";
import { loadOrCreateKeys } from "./auth/keys.ts";
import type { RateLimitMode } from "./auth/rate-limit.ts";
import type { SupabaseConfig } from "./config.ts";
import { createMailboxServer } from "./mailbox/server.ts";
import { MailStore } from "./mailbox/store.ts";
import { isBroadcastPath } from "./realtime/rest-broadcast.ts";
import { REALTIME_PATH, type Realtime, startRealtime } from "./realtime/server.ts";

export interface BackendOptions {
  /** Superuser URL of the database holding the `auth` schema. */
  databaseUrl: string;
  apiPort: number;
  mailPort: number;
  config: SupabaseConfig;
  /** Keys and other state that must survive restarts (the data folder, or a temp dir in tests). */
  stateDir: string;
  /** Realtime settings Supabase keeps per project rather than in config.toml. */
  realtime?: { privateOnly?: boolean };
  /** Auth rate limits as `supabase start` applies them (`local`, the default) or a hosted project (`hosted`). */
  rateLimits?: RateLimitMode;
  log?: (line: string) => void;
}

export interface Backend {
  apiUrl: string;
  mailUrl: string;
  publishableKey: string;
  secretKey: string;
  /** The API server (Auth over HTTP, Realtime over WebSocket upgrades). */
  server: Server;
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * Starts the Auth API (under /auth/v1 of the API port), Realtime (WebSocket upgrade at
 * /realtime/v1/websocket of the same port) and the mailbox, on 127.0.0.1 only.
 */
export async function startBackend(options: BackendOptions): Promise<Backend> {
  const log = options.log ?? (() => undefined);
  const keys = await loadOrCreateKeys(options.stateDir);
  const apiUrl = `http://${HOST}:${options.apiPort}`;
  const mailUrl = `http://${HOST}:${options.mailPort}`;
  const sql = postgres(options.databaseUrl, {
    max: 10,
    onnotice: () => undefined,
    connection: { application_name: "embedded-auth" },
  });
  const mailbox = new MailStore();
  const auth = createAuthHandler({ sql, config: options.config, keys, apiUrl, mailbox, rateLimits: options.rateLimits, log });

  const api = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", apiUrl);
    if (url.pathname === AUTH_PREFIX || url.pathname.startsWith(`${AUTH_PREFIX}/`)) {
      void auth(request, response, url);
      return;
    }
    if (realtime && request.method !== "OPTIONS" && isBroadcastPath(url.pathname)) {
      void realtime.broadcastApi(request, response, corsHeaders(request));
      return;
    }
    request.resume();
    const status = request.method === "OPTIONS" ? 204 : 404;
    response.writeHead(status, { ...corsHeaders(request), "content-type": "application/json; charset=utf-8" });
    response.end(status === 404 ? JSON.stringify({ message: "no Route matched with those values" }) : undefined);
  });
  const mail = createMailboxServer(mailbox);
  let realtime: Realtime | undefined;
  try {
    await sql`select 1 from auth.users limit 1`;
    realtime = await startRealtime({
      server: api,
      databaseUrl: options.databaseUrl,
      keys,
      privateOnly: options.realtime?.privateOnly === true,
      log,
    });
    await listen(api, options.apiPort);
    await listen(mail, options.mailPort);
  } catch (error) {
    await realtime?.stop();
    await Promise.all([close(api), close(mail), sql.end({ timeout: 1 })]);
    throw error;
  }
  const startedRealtime = realtime;
  log(`auth: ${apiUrl}${AUTH_PREFIX}  realtime: ${apiUrl}${REALTIME_PATH}  mailbox: ${mailUrl}`);
  return {
    apiUrl,
    mailUrl,
    publishableKey: keys.publishableKey,
    secretKey: keys.secretKey,
    server: api,
    async stop() {
      await startedRealtime.stop();
      await Promise.all([close(api), close(mail)]);
      await sql.end({ timeout: 5 });
    },
  };
}
