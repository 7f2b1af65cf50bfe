import { type CookieOptions, combineChunks, parseCookieHeader } from "@supabase/ssr";
import { getResponseHeader, setCookie, setHeader } from "vinxi/http";
import type { FetchEvent } from "@solidjs/start/server";
import { isLocalHost } from "~/server/security/local-hosts";

export interface CookieToSet {
  name: string;
  value: string;
  options: CookieOptions;
}

export type CookieSink = (cookies: CookieToSet[], headers: Record<string, string>) => void;

/** The name supabase-js derives from the project URL; passed explicitly so both sides agree. */
export function sessionCookieName(supabaseUrl: string): string {
  return `sb-${new URL(supabaseUrl).hostname.split(".")[0]}-auth-token`;
}

/**
 * httpOnly keeps the refresh token away from page scripts (and XSS); Lax lets the session ride on
 * top-level navigations from mail links and OAuth redirects but not on cross-site POSTs. Browsers
 * drop Secure cookies on plain-http origins except localhost, so Secure is off only there.
 */
export function sessionCookieOptions(requestUrl: URL): CookieOptions {
  return {
    httpOnly: true,
    sameSite: "lax",
    secure: !isLocalHost(requestUrl.hostname),
    path: "/",
  };
}

/**
 * The request's cookies as @supabase/ssr reads and writes them. Writes go to the response through
 * vinxi's setCookie AND to this request-side view, so a client created later in the same request
 * ("getAll must see setAll") reads the refreshed session, not the stale one from the browser.
 */
export class RequestCookies {
  readonly #event: FetchEvent;
  readonly #jar: Map<string, string>;
  readonly #sink: CookieSink | undefined;
  #changed = false;

  /**
   * With a `sink`, writes are handed to it instead of the response: the single-flight refresh
   * collects the new cookies once and every waiting request applies them to its own response.
   */
  constructor(event: FetchEvent, sink?: CookieSink) {
    this.#event = event;
    this.#sink = sink;
    this.#jar = new Map(
      parseCookieHeader(event.request.headers.get("cookie") ?? "").map(({ name, value }) => [name, value ?? ""]),
    );
  }

  /** True once any auth cookie was written in this request. */
  get changed(): boolean {
    return this.#changed;
  }

  get(name: string): string | undefined {
    return this.#jar.get(name);
  }

  getAll(): { name: string; value: string }[] {
    return [...this.#jar].map(([name, value]) => ({ name, value }));
  }

  setAll(cookies: CookieToSet[], headers: Record<string, string> = {}): void {
    for (const { name, value, options } of cookies) {
      if (options.maxAge === 0 || value === "") this.#jar.delete(name);
      else this.#jar.set(name, value);
    }
    if (this.#sink) {
      this.#sink(cookies, headers);
      return;
    }
    const native = this.#event.nativeEvent;
    for (const { name, value, options } of cookies) setCookie(native, name, value, options);
    // @supabase/ssr hands over Cache-Control: private, no-store (and friends) with every session
    // write: a shared cache must never store a response that sets someone's session.
    for (const [key, value] of Object.entries(headers)) setHeader(native, key, value);
    if (cookies.length) this.#changed = true;
    native.node.req.headers.cookie = [...this.#jar].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  /** The session cookie and its chunks (`<key>.0`, `<key>.1`, ...), as present in this request. */
  sessionCookieNames(storageKey: string): string[] {
    return [...this.#jar.keys()].filter((name) => name === storageKey || name.startsWith(`${storageKey}.`));
  }
}

export interface StoredSession {
  access_token: string;
  refresh_token: string;
  expires_at?: number;
}

/** Reads the session @supabase/ssr stored (chunked, `base64-` encoded) without creating a client. */
export async function readStoredSession(cookies: RequestCookies, storageKey: string): Promise<StoredSession | null> {
  const raw = await combineChunks(storageKey, (name) => cookies.get(name));
  if (!raw) return null;
  try {
    // Node's decoder reads what @supabase/ssr's stringToBase64URL wrote (base64url of UTF-8), ~80x
    // faster than its portable stringFromBase64URL: this runs on every request with a session.
    const json = raw.startsWith("base64-") ? Buffer.from(raw.slice("base64-".length), "base64url").toString("utf8") : raw;
    const session = JSON.parse(json) as Partial<StoredSession> | null;
    if (typeof session?.access_token !== "string" || typeof session.refresh_token !== "string") return null;
    return {
      access_token: session.access_token,
      refresh_token: session.refresh_token,
      expires_at: session.expires_at,
    };
  } catch {
    return null;
  }
}

/**
 * A redirect that keeps the session cookies this request wrote (a refresh, a sign-in, a removal):
 * vinxi's setCookie puts them on the H3 event, and a Response built by hand would drop them.
 */
export function redirectWithSessionCookies(event: FetchEvent, location: string, status = 303): Response {
  const headers = new Headers({ location, "cache-control": "private, no-store" });
  const written = getResponseHeader(event.nativeEvent, "set-cookie");
  const cookies = Array.isArray(written) ? written : written === undefined ? [] : [String(written)];
  for (const cookie of cookies) headers.append("set-cookie", cookie);
  return new Response(null, { status, headers });
}
