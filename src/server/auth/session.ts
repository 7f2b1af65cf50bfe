import type { FetchEvent } from "@solidjs/start/server";
import type { SupabaseClient } from "@supabase/supabase-js";
import { serverEnv } from "~/server/env";
import { createRequestClient } from "~/server/supabase";
import { type AccessTokenVerifier, type AuthClaims, createAccessTokenVerifier } from "./access-token";
import { tokenClaimsOutdated } from "./claims-freshness";
import {
  type CookieToSet,
  RequestCookies,
  readStoredSession,
  sessionCookieName,
  sessionCookieOptions,
} from "./session-cookies";

/** What every request carries on `event.locals.auth` after the middleware ran. */
export interface RequestAuth {
  /** Verified claims of the signed-in user, or null. Never read from an unverified cookie. */
  claims: AuthClaims | null;
  /** This request's only Supabase client, created on first use. */
  readonly supabase: SupabaseClient;
  cookies: RequestCookies;
}

/**
 * Same margin auth-js uses: a token this close to expiry would be refreshed by the client anyway.
 * A token whose app_metadata no longer matches the database (a role was granted or revoked) is
 * refreshed too, so the change applies within seconds instead of at the next hourly refresh.
 */
const REFRESH_MARGIN_SECONDS = 90;

interface RefreshOutcome {
  cookies: CookieToSet[];
  headers: Record<string, string>;
  accessToken: string | null;
}

/**
 * How long a finished refresh is still handed to late requests with the old cookie (a slow
 * request that was sent before the browser stored the new one), matching GoTrue's reuse interval.
 */
const RESULT_REUSE_MS = 10_000;

// Process-wide, keyed by the refresh token itself: only a request holding that exact secret can
// join a flight or read its outcome, and entries disappear RESULT_REUSE_MS after the refresh.
const refreshes = new Map<string, Promise<RefreshOutcome>>();
let verifier: AccessTokenVerifier | undefined;

function accessTokenVerifier(): AccessTokenVerifier {
  if (!verifier) {
    const env = serverEnv();
    verifier = createAccessTokenVerifier({ supabaseUrl: env.VITE_SUPABASE_URL, publishableKey: env.VITE_SUPABASE_PUBLISHABLE_KEY });
  }
  return verifier;
}

/**
 * Refreshes through a throw-away cookie view, so the outcome (the new cookies) can be handed to
 * every request that arrived with the same expired session. GoTrue's refresh tokens are single
 * use: N parallel requests each refreshing would revoke the session family on the second try.
 */
function refreshOnce(
  event: FetchEvent,
  requestUrl: URL,
  refreshToken: string,
  reason: "expiring" | "claims-changed",
): Promise<RefreshOutcome> {
  const running = refreshes.get(refreshToken);
  if (running) return running;
  const flight = (async (): Promise<RefreshOutcome> => {
    const captured: RefreshOutcome = { cookies: [], headers: {}, accessToken: null };
    const scratch = new RequestCookies(event, (cookies, headers) => {
      captured.cookies.push(...cookies);
      Object.assign(captured.headers, headers);
    });
    const client = createRequestClient(scratch, requestUrl);
    // getSession() refreshes a token within auth-js's expiry margin (one call); a role change needs
    // refreshSession(), which rotates a token that is still valid. Neither result is trusted as is:
    // the new access token goes through the same local verification as any other.
    const { data } =
      reason === "expiring" ? await client.auth.getSession() : await client.auth.refreshSession();
    captured.accessToken = data.session?.access_token ?? null;
    return captured;
  })();
  flight.then(
    () => setTimeout(() => refreshes.delete(refreshToken), RESULT_REUSE_MS).unref(),
    () => refreshes.delete(refreshToken),
  );
  refreshes.set(refreshToken, flight);
  return flight;
}

/**
 * Runs on every non-static request: verifies the session cookie locally, refreshes it when it is
 * (nearly) expired, and puts `{ claims, supabase }` on event.locals. Set-Cookie is written only
 * when the session changed.
 */
export async function updateSession(event: FetchEvent): Promise<void> {
  const requestUrl = new URL(event.request.url);
  const cookies = new RequestCookies(event);
  let client: SupabaseClient | undefined;
  const auth: RequestAuth = {
    claims: null,
    cookies,
    get supabase() {
      client ??= createRequestClient(cookies, requestUrl);
      return client;
    },
  };
  event.locals.auth = auth;

  const storageKey = sessionCookieName(serverEnv().VITE_SUPABASE_URL);
  const stored = await readStoredSession(cookies, storageKey);
  if (!stored) return;

  const verify = accessTokenVerifier();
  let result = await verify(stored.access_token);
  let refresh: "expiring" | "claims-changed" | null = null;
  if (result.status === "expired") refresh = "expiring";
  else if (result.status === "valid") {
    if (result.claims.exp - Date.now() / 1000 < REFRESH_MARGIN_SECONDS) refresh = "expiring";
    else if (await tokenClaimsOutdated(result.claims)) refresh = "claims-changed";
  }

  if (refresh) {
    let outcome: RefreshOutcome;
    try {
      outcome = await refreshOnce(event, requestUrl, stored.refresh_token, refresh);
    } catch (error) {
      // The auth server is unreachable: serve this request signed out, keep the cookies for later.
      console.warn(`session refresh failed: ${(error as Error).message}`);
      return;
    }
    cookies.setAll(outcome.cookies, outcome.headers);
    result = outcome.accessToken ? await verify(outcome.accessToken) : { status: "invalid", reason: "refresh failed" };
  }

  if (result.status === "valid") {
    auth.claims = result.claims;
    return;
  }
  // Not known to be bad: signed out for this request only, the cookies stay for the next one.
  if (result.status === "retry-later") return;
  // A session cookie that cannot authenticate (forged, revoked, refresh failed) is removed, so the
  // browser stops sending it and every later request is plainly signed out.
  const stale = cookies.sessionCookieNames(storageKey);
  if (stale.length) {
    cookies.setAll(
      stale.map((name) => ({ name, value: "", options: { ...sessionCookieOptions(requestUrl), maxAge: 0 } })),
      { "Cache-Control": "private, no-cache, no-store, must-revalidate, max-age=0", Expires: "0", Pragma: "no-cache" },
    );
  }
}

/**
 * After an action signed in or out: SolidStart renders the redirect target's data in the same
 * request (single-flight), so the claims on event.locals must follow the cookies the action just
 * wrote, or that render would still see the previous user (or none).
 */
export async function adoptSessionFromCookies(auth: RequestAuth): Promise<void> {
  const stored = await readStoredSession(auth.cookies, sessionCookieName(serverEnv().VITE_SUPABASE_URL));
  if (!stored) {
    auth.claims = null;
    return;
  }
  const result = await accessTokenVerifier()(stored.access_token);
  auth.claims = result.status === "valid" ? result.claims : null;
}
