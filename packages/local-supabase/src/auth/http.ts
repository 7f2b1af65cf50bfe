import type { IncomingMessage, ServerResponse } from "node:http";
import * as v from "valibot";
import { AuthApiError, badRequest } from "./errors.ts";

/** GoTrue has no body limit of its own (its proxy has); 1 MB is far above any auth payload. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface AuthRequest {
  method: string;
  url: URL;
  /** Path below `/auth/v1`, e.g. `/token`. */
  path: string;
  headers: IncomingMessage["headers"];
  ip: string;
  raw: IncomingMessage;
}

export type Reply =
  | { kind: "json"; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: "html"; status: number; body: string }
  | { kind: "redirect"; location: string; status?: number }
  | { kind: "empty"; status: number; headers?: Record<string, string> };

export const json = (body: unknown, status = 200, headers?: Record<string, string>): Reply => ({
  kind: "json",
  status,
  body,
  headers,
});
export const html = (body: string, status = 200): Reply => ({ kind: "html", status, body });
export const redirect = (location: string, status = 303): Reply => ({ kind: "redirect", location, status });
export const empty = (status = 204): Reply => ({ kind: "empty", status });

function tooLarge(): AuthApiError {
  return new AuthApiError(413, "request_too_large", "Request body is larger than 1 MB");
}

function readBody(request: IncomingMessage): Promise<string> {
  if (Number(request.headers["content-length"] ?? 0) > MAX_BODY_BYTES) {
    request.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
        return;
      }
      // Keep draining without storing (not destroying the stream), so the client reads the 413
      // instead of a reset connection.
      request.off("data", onData);
      request.resume();
      reject(tooLarge());
    };
    request.on("data", onData);
    request.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.once("error", reject);
  });
}

/** Parses a JSON (or, for the local provider's HTML form, urlencoded) body. Empty is `{}`. */
export async function readParams(request: AuthRequest): Promise<unknown> {
  const text = await readBody(request.raw);
  if (text.trim() === "") return {};
  const type = String(request.headers["content-type"] ?? "");
  if (type.startsWith("application/x-www-form-urlencoded")) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest("bad_json", `Could not parse request body as JSON: ${(error as Error).message}`);
  }
}

/** Reads and validates the body; a schema violation is GoTrue's 400 `validation_failed`. */
export async function readBodyAs<TSchema extends v.GenericSchema>(
  request: AuthRequest,
  schema: TSchema,
): Promise<v.InferOutput<TSchema>> {
  return parseAs(schema, await readParams(request));
}

export function parseAs<TSchema extends v.GenericSchema>(schema: TSchema, input: unknown): v.InferOutput<TSchema> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const where = issue.path?.map((item) => String(item.key)).join(".");
  throw badRequest("validation_failed", where ? `${where}: ${issue.message}` : issue.message);
}

export function writeReply(response: ServerResponse, reply: Reply, extraHeaders: Record<string, string>): void {
  for (const [name, value] of Object.entries(extraHeaders)) response.setHeader(name, value);
  switch (reply.kind) {
    case "json": {
      const text = JSON.stringify(reply.body);
      for (const [name, value] of Object.entries(reply.headers ?? {})) response.setHeader(name, value);
      response.writeHead(reply.status, { "content-type": "application/json; charset=utf-8" });
      response.end(text);
      return;
    }
    case "html":
      response.writeHead(reply.status, { "content-type": "text/html; charset=utf-8" });
      response.end(reply.body);
      return;
    case "redirect":
      response.writeHead(reply.status ?? 303, { location: reply.location });
      response.end();
      return;
    case "empty":
      for (const [name, value] of Object.entries(reply.headers ?? {})) response.setHeader(name, value);
      response.writeHead(reply.status);
      response.end();
      return;
  }
}

export function clientIp(request: IncomingMessage): string {
  return request.socket.remoteAddress ?? "unknown";
}
