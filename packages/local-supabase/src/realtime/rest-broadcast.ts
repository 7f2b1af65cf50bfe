import type { IncomingMessage, ServerResponse } from "node:http";
import type { AuthKeys } from "../auth/keys.ts";
import type { ChannelPolicies } from "./channel-policies.ts";
import type { Hub } from "./hub.ts";
import { authenticate } from "./tokens.ts";

export const BROADCAST_PATH = "/realtime/v1/api/broadcast";

const SINGLE_PATH = /^\/realtime\/v1\/api\/broadcast\/([^/]+)\/events\/([^/]+)$/;
const MAX_BODY_BYTES = 1024 * 1024;

export interface BroadcastApiOptions {
  keys: AuthKeys;
  hub: Hub;
  policies: ChannelPolicies;
  log(line: string): void;
}

interface Outgoing {
  topic: string;
  event: string;
  payload: unknown;
  private: boolean;
  id?: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(`HTTP ${status}`);
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export function isBroadcastPath(pathname: string): boolean {
  return pathname === BROADCAST_PATH || SINGLE_PATH.test(pathname);
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        request.removeAllListeners("data");
        request.resume();
        reject(new HttpError(413, { message: "Payload Too Large" }));
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new HttpError(400, { message: "Request body is not valid JSON" });
  }
}

/** Supabase's Ecto changeset errors, one map per message (empty for valid ones). */
function batchMessages(body: unknown): Outgoing[] {
  const list = isRecord(body) ? body.messages : undefined;
  if (list === undefined || list === null) throw new HttpError(422, { errors: { messages: ["can't be blank"] } });
  if (!Array.isArray(list)) throw new HttpError(422, { errors: { messages: ["is invalid"] } });
  const errors: Record<string, string[]>[] = [];
  const messages: Outgoing[] = [];
  for (const item of list) {
    const error: Record<string, string[]> = {};
    const message = isRecord(item) ? item : {};
    if (!isRecord(item)) error.messages = ["is invalid"];
    for (const field of ["topic", "event"] as const) {
      const value = message[field];
      if (value === undefined || value === null || value === "") error[field] = ["can't be blank"];
      else if (typeof value !== "string") error[field] = ["is invalid"];
    }
    if (message.payload === undefined || message.payload === null) error.payload = ["can't be blank"];
    else if (!isRecord(message.payload)) error.payload = ["is invalid"];
    if (message.private !== undefined && message.private !== null && typeof message.private !== "boolean") {
      error.private = ["is invalid"];
    }
    if (message.id !== undefined && message.id !== null && typeof message.id !== "string") error.id = ["is invalid"];
    errors.push(error);
    messages.push({
      topic: String(message.topic),
      event: String(message.event),
      payload: message.payload,
      private: message.private === true,
      ...(typeof message.id === "string" ? { id: message.id } : {}),
    });
  }
  if (errors.some((error) => Object.keys(error).length > 0)) throw new HttpError(422, { errors: { messages: errors } });
  return messages;
}

function frame(message: Outgoing): string {
  return JSON.stringify({
    type: "broadcast",
    event: message.event,
    payload: message.payload,
    ...(message.id === undefined ? {} : { meta: { id: message.id } }),
  });
}

/**
 * Server-side sends without a socket, as Supabase Realtime answers them: `POST /api/broadcast` with
 * a batch (private messages of a topic the caller may not write to are skipped, still 202) and
 * `POST /api/broadcast/<topic>/events/<event>` with the payload as body (refused private → 403).
 */
export function createBroadcastApi(options: BroadcastApiOptions) {
  const publish = (message: Outgoing) =>
    options.hub.publish(`${message.private ? "private" : "public"}:realtime:${message.topic}`, frame(message));

  async function handle(request: IncomingMessage, url: URL): Promise<void> {
    if (request.method !== "POST") throw new HttpError(405, { message: "Method Not Allowed" });
    const apiKey = String(request.headers.apikey ?? "");
    if (apiKey !== options.keys.publishableKey && apiKey !== options.keys.secretKey) {
      throw new HttpError(401, { message: "Invalid API key" });
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "")?.[1];
    const result = await authenticate(options.keys, bearer ?? apiKey);
    if (!result.ok) throw new HttpError(401, { message: "Unauthorized" });
    const { auth } = result;
    const body = await readBody(request);
    const single = SINGLE_PATH.exec(url.pathname);

    if (single) {
      const message: Outgoing = {
        topic: decodeURIComponent(single[1] ?? ""),
        event: decodeURIComponent(single[2] ?? ""),
        // Binary payloads travel as base64 text here, as binary client broadcasts do.
        payload: String(request.headers["content-type"] ?? "").startsWith("application/octet-stream")
          ? body.toString("base64")
          : body.length === 0
            ? undefined
            : parseJson(body),
        private: url.searchParams.get("private") === "true",
      };
      if (message.payload === undefined) throw new HttpError(422, { errors: { payload: ["can't be blank"] } });
      const allowed = message.private ? await options.policies.write(auth, message.topic, "broadcast").catch(() => false) : true;
      if (!allowed) {
        throw new HttpError(403, { message: "Unauthorized" });
      }
      publish(message);
      return;
    }

    const messages = batchMessages(parseJson(body));
    const allowed = new Map<string, Promise<boolean>>();
    for (const message of messages) {
      if (message.private) {
        let check = allowed.get(message.topic);
        if (!check) {
          check = options.policies.write(auth, message.topic, "broadcast").catch(() => false);
          allowed.set(message.topic, check);
        }
        if (!(await check)) continue;
      }
      publish(message);
    }
  }

  return async (request: IncomingMessage, response: ServerResponse, headers: Record<string, string>) => {
    try {
      await handle(request, new URL(request.url ?? "/", "http://localhost"));
      response.writeHead(202, headers);
      response.end();
    } catch (error) {
      if (!(error instanceof HttpError)) options.log(`realtime: broadcast api: ${(error as Error).message}`);
      const { status, body } =
        error instanceof HttpError
          ? error
          : { status: 503, body: { message: "Realtime was unable to connect to the project database" } };
      if (!request.readableEnded) request.resume();
      response.writeHead(status, { ...headers, "content-type": "application/json; charset=utf-8" });
      response.end(JSON.stringify(body));
    }
  };
}
