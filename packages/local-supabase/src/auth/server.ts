import type { IncomingMessage, ServerResponse } from "node:http";
import type { Sql } from "postgres";
import type { SupabaseConfig } from "../config.ts";
import type { MailStore } from "../mailbox/store.ts";
import type { AuthContext } from "./context.ts";
import { API_VERSION_HEADER, AuthApiError, forbidden, renderError, unauthorized } from "./errors.ts";
import { type AuthRequest, clientIp, writeReply } from "./http.ts";
import type { AuthKeys } from "./keys.ts";
import { Mailer } from "./mail.ts";
import { RateLimiter, type RateLimitMode } from "./rate-limit.ts";
import { type Access, matchRoute } from "./routes.ts";

export const AUTH_PREFIX = "/auth/v1";

/** What browser supabase-js sends; a preflight naming anything else still gets these back. */
const allowedHeaders = [
  "apikey",
  "authorization",
  "x-client-info",
  "x-supabase-api-version",
  "content-type",
  "x-retry-count",
  "traceparent",
  "tracestate",
  "baggage",
];

export function corsHeaders(request: IncomingMessage): Record<string, string> {
  const origin = request.headers.origin;
  return {
    "access-control-allow-origin": typeof origin === "string" ? origin : "*",
    "access-control-allow-credentials": "true",
    "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
    "access-control-allow-headers": String(request.headers["access-control-request-headers"] ?? allowedHeaders.join(", ")),
    "access-control-expose-headers": "x-total-count, link, x-supabase-api-version, x-sb-error-code",
    "access-control-max-age": "86400",
    vary: "Origin",
  };
}

export interface AuthServerOptions {
  sql: Sql;
  config: SupabaseConfig;
  keys: AuthKeys;
  apiUrl: string;
  mailbox: MailStore;
  rateLimits?: RateLimitMode;
  log: (line: string) => void;
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === "string" ? value : undefined;
}

function checkAccess(access: Access, request: AuthRequest, keys: AuthKeys): void {
  if (access === "open") return;
  const apikey = header(request.raw, "apikey") ?? request.url.searchParams.get("apikey") ?? undefined;
  const bearer = /^bearer\s+(\S+)$/i.exec(header(request.raw, "authorization") ?? "")?.[1];
  if (access === "admin") {
    if (apikey === keys.secretKey || bearer === keys.secretKey) return;
    if (!apikey) throw unauthorized("no_authorization", "No API key found in request");
    throw forbidden("not_admin", "User not allowed");
  }
  if (!apikey) throw unauthorized("no_authorization", "No API key found in request");
  if (apikey !== keys.publishableKey && apikey !== keys.secretKey) {
    throw unauthorized("no_authorization", "Invalid API key");
  }
}

/** Handles every request under /auth/v1; anything thrown that is not an AuthApiError is a 500. */
export function createAuthHandler(options: AuthServerOptions) {
  const issuer = `${options.apiUrl}${AUTH_PREFIX}`;
  const context: AuthContext = {
    sql: options.sql,
    config: options.config,
    keys: options.keys,
    issuer,
    mailer: new Mailer(options.mailbox, issuer, options.config.auth.site_url, options.log),
    limiter: new RateLimiter(options.config, options.rateLimits),
    log: options.log,
  };

  return async (raw: IncomingMessage, response: ServerResponse, url: URL): Promise<void> => {
    const cors = corsHeaders(raw);
    const method = raw.method ?? "GET";
    if (method === "OPTIONS") {
      raw.resume();
      response.writeHead(204, cors);
      response.end();
      return;
    }
    const request: AuthRequest = {
      method,
      url,
      path: url.pathname.slice(AUTH_PREFIX.length).replace(/\/+$/, "") || "/",
      headers: raw.headers,
      ip: clientIp(raw),
      raw,
    };
    try {
      const match = matchRoute(method, request.path);
      if (!match) throw new AuthApiError(404, "not_found", "Not Found");
      if ("methodNotAllowed" in match) throw new AuthApiError(405, "method_not_allowed", "Method Not Allowed");
      checkAccess(match.route.access, request, context.keys);
      writeReply(response, await match.route.handle(request, context), cors);
    } catch (error) {
      let known = error;
      if (!(error instanceof AuthApiError)) {
        options.log(`auth: ${method} ${request.path} failed: ${(error as Error).stack ?? String(error)}`);
        known = new AuthApiError(500, "unexpected_failure", "Internal Server Error");
      }
      if (!raw.readableEnded) raw.resume();
      const reply = renderError(known as AuthApiError, header(raw, API_VERSION_HEADER));
      writeReply(response, { kind: "json", status: reply.status, body: reply.body, headers: reply.headers }, cors);
    }
  };
}
