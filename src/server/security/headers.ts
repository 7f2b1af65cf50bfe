import { randomBytes } from "node:crypto";
import type { FetchEvent } from "@solidjs/start/server";
import { setResponseHeaders } from "vinxi/http";
import { FIXED_HEADERS } from "./fixed-headers";
import { isLocalHost } from "./local-hosts";

/**
 * A fresh nonce for one response: 128 random bits, as CSP asks ("at least 128 bits", never
 * reused), base64 so it fits a `'nonce-...'` source as it is.
 */
export function createNonce(): string {
  return randomBytes(16).toString("base64");
}

export interface PolicyInput {
  /** This response's nonce: SolidStart puts it on every inline script it writes. */
  nonce: string;
  /** VITE_SUPABASE_URL: the browser talks to it (Realtime) and passes through it (OAuth). */
  supabaseUrl: string;
  /** The page's own URL, for the development server's HMR socket. */
  requestUrl: URL;
  /** `vinxi dev`: Vite's client adds what the built app never needs (see below). */
  dev: boolean;
}

/**
 * The Content-Security-Policy of one response (ADR 0043). Scripts run only from this origin or
 * with this response's nonce: SolidStart's inline scripts (hydration bootstrap, `window.manifest`,
 * the serialized page data) carry it, an injected script cannot. Server-function answers are JSON,
 * not JavaScript (app.config.ts `serialization.mode`), so no `'unsafe-eval'` either.
 */
export function contentSecurityPolicy({ nonce, supabaseUrl, requestUrl, dev }: PolicyInput): string {
  const supabase = new URL(supabaseUrl).origin;
  // Realtime's WebSocket: the same host and port as the API, ws:// for http://, wss:// for https://.
  const supabaseSocket = supabase.replace(/^http/, "ws");
  const directives: Record<string, string[]> = {
    "default-src": ["'self'"],
    "script-src": ["'self'", `'nonce-${nonce}'`],
    // The built app's CSS is files from this origin and it sets no style attribute (send-box.ts
    // sizes the text area through CSSOM, which CSP does not restrict). In development Vite inserts
    // every stylesheet as a <style> element; it copies the nonce from the csp-nonce meta element
    // (entry-server.tsx), and SolidStart's own <style> assets carry it too.
    "style-src": dev ? ["'self'", `'nonce-${nonce}'`] : ["'self'"],
    // data: for the TOTP QR code, an SVG that auth-js hands over as a data: URL.
    "img-src": ["'self'", "data:"],
    // Vite's HMR socket listens on a port of its own, chosen at random when the dev server starts.
    "connect-src": [
      "'self'",
      supabase,
      supabaseSocket,
      ...(dev ? [`ws://${requestUrl.hostname}:*`, `wss://${requestUrl.hostname}:*`] : []),
    ],
    // Chromium applies form-action to the redirects that follow a form post too: signing in with a
    // provider posts to this origin, which redirects to Supabase's /auth/v1/authorize.
    "form-action": ["'self'", supabase],
    "frame-ancestors": ["'none'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
  };
  return Object.entries(directives)
    .map(([name, sources]) => `${name} ${sources.join(" ")}`)
    .join("; ");
}

/**
 * The headers every response of the app carries. HSTS only over HTTPS (browsers ignore it on
 * plain HTTP) and never for a loopback host, where it would pin every local port to HTTPS; the
 * request URL is https when the connection is TLS or the proxy in front says so in
 * X-Forwarded-Proto (how vinxi builds it, and what the same-origin checks already compare with).
 */
export function securityHeaders(input: PolicyInput): Record<string, string> {
  const headers: Record<string, string> = { ...FIXED_HEADERS, "content-security-policy": contentSecurityPolicy(input) };
  if (input.requestUrl.protocol === "https:" && !isLocalHost(input.requestUrl.hostname)) {
    headers["strict-transport-security"] = "max-age=31536000; includeSubDomains";
  }
  return headers;
}

/**
 * Called first for every request the middleware sees: the headers go onto the response before any
 * handler runs, so pages, server functions, API routes, redirects, error pages and the middleware's
 * own refusals all carry them (those Responses are copied onto the same response). The nonce is
 * kept on `event.locals` for entry-server.tsx to hand to SolidStart.
 */
export function applySecurityHeaders(event: FetchEvent, supabaseUrl: string): void {
  const nonce = createNonce();
  event.locals.cspNonce = nonce;
  const input = { nonce, supabaseUrl, requestUrl: new URL(event.request.url), dev: import.meta.env.DEV };
  setResponseHeaders(event.nativeEvent, securityHeaders(input));
}
