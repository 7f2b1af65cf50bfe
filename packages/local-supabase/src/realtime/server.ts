import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import postgres from "postgres";
import { WebSocketServer } from "ws";
import type { AuthKeys } from "../auth/keys.ts";
import { Authorizer } from "./authorization.ts";
import { ChannelPolicies } from "./channel-policies.ts";
import { Hub } from "./hub.ts";
import { parseVsn } from "./protocol.ts";
import { createBroadcastApi } from "./rest-broadcast.ts";
import { type Feed, startFeed } from "./replication-feed.ts";
import { Session } from "./session.ts";

export const REALTIME_PATH = "/realtime/v1/websocket";

/** Frames above this are refused (ws closes the socket with 1009), as a guard, not a feature. */
const MAX_FRAME_BYTES = 1024 * 1024;
/** Phoenix drops sockets that stay silent this long; realtime-js heartbeats every 25 s. */
const IDLE_TIMEOUT_MS = 60_000;

export interface RealtimeOptions {
  /** The API server: the WebSocket is served on its `upgrade` at /realtime/v1/websocket. */
  server: Server;
  /** Superuser URL: replication and `set role` for the visibility checks need it. */
  databaseUrl: string;
  keys: AuthKeys;
  /** Refuse public channels: only private ones, authorized by `realtime.messages` policies. */
  privateOnly?: boolean;
  log(line: string): void;
}

export interface Realtime {
  /** `POST /realtime/v1/api/broadcast[/<topic>/events/<event>]`; `headers` are the reply's CORS headers. */
  broadcastApi(request: IncomingMessage, response: ServerResponse, headers: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

function refuse(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ message });
  socket.end(
    `HTTP/1.1 ${status} ${status === 401 ? "Unauthorized" : "Bad Request"}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** Starts the replication feed, then serves the Phoenix WebSocket that supabase-js channels use. */
export async function startRealtime(options: RealtimeOptions): Promise<Realtime> {
  const sql = postgres(options.databaseUrl, {
    max: 4,
    onnotice: () => undefined,
    connection: { application_name: "embedded-realtime", TimeZone: "UTC" } as Record<string, string>,
  });
  const hub = new Hub(new Authorizer(sql), options.log);
  const policies = new ChannelPolicies(sql);
  let feed: Feed;
  try {
    feed = await startFeed({
      databaseUrl: options.databaseUrl,
      publications: ["supabase_realtime", "supabase_realtime_messages_publication"],
      onTransaction: (transaction) => hub.enqueue(transaction),
      log: options.log,
    });
  } catch (error) {
    await sql.end({ timeout: 1 });
    throw error;
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const sessions = new Set<Session>();

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname !== REALTIME_PATH) {
      if (url.pathname.startsWith("/realtime/")) refuse(socket, 400, "unknown realtime endpoint");
      return;
    }
    const apiKey = url.searchParams.get("apikey") ?? "";
    if (apiKey !== options.keys.publishableKey && apiKey !== options.keys.secretKey) {
      refuse(socket, 401, "Invalid API key");
      return;
    }
    const vsn = parseVsn(url.searchParams.get("vsn"));
    if (!vsn) {
      refuse(socket, 400, "unsupported vsn");
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      const session = new Session({
        socket: ws,
        vsn,
        apiKey,
        keys: options.keys,
        hub,
        policies,
        privateOnly: options.privateOnly === true,
        log: options.log,
      });
      sessions.add(session);
      let idle = setTimeout(() => ws.terminate(), IDLE_TIMEOUT_MS);
      ws.on("message", (data, isBinary) => {
        clearTimeout(idle);
        idle = setTimeout(() => ws.terminate(), IDLE_TIMEOUT_MS);
        const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
        session.receive(buffer, isBinary);
      });
      ws.on("error", () => ws.terminate());
      ws.on("close", () => {
        clearTimeout(idle);
        sessions.delete(session);
        session.close();
      });
    });
  };
  options.server.on("upgrade", onUpgrade);
  options.log(`realtime: ws on ${REALTIME_PATH}`);

  return {
    broadcastApi: createBroadcastApi({ keys: options.keys, hub, policies, log: options.log }),
    async stop() {
      options.server.off("upgrade", onUpgrade);
      for (const session of sessions) session.close();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await feed.stop();
      await hub.idle();
      await sql.end({ timeout: 1 });
    },
  };
}
