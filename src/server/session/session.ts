import type { FetchEvent } from "@solidjs/start/server";
import { isAuthRetryableFetchError, type SupabaseClient } from "@supabase/supabase-js";
import { isDatabaseUnavailable } from "~/server/db/unavailable";
import { serverEnv } from "~/server/env";
import { createRequestClient } from "./supabase";
import type { VerifiedClaims } from "~/lib/domain/claims";
import { type AccessTokenVerifier, createAccessTokenVerifier } from "./access-token";
import { secondFactorPending, tokenClaimsOutdated } from "./claims-freshness";
import { tokenSessionRevoked } from "./session-revocation";
import {
  type CookieToSet,
  RequestCookies,
  readStoredSession,
  type StoredSession,
  sessionCookieName,
  sessionCookieOptions,
} from "./session-cookies";

/** What every request carries on `event.locals.auth` after the middleware ran. */
export interface RequestAuth {
  /** Verified claims of the signed-in user, or null. Never read from an unverified cookie. */
  claims: VerifiedClaims | null;
  /**
   * The session is aal1 and its user has a verified factor: only the code page and sign-out
   * may serve it (ADR 0034). Decided from the verified claims and auth.mfa_factors.
   */
  secondFactorPending: boolean;
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

/**
 * How long a request waits for a refresh. auth-js retries an unreachable auth server (or one that
 * answers 5xx, as GoTrue does while its database is down) for up to 30 s; past this the request
 * is served as if the auth server were unreachable, and the refresh, still running, is handed to
 * the next request with the same cookie.
 */
const REFRESH_WAIT_MS = 5_000;

/**
 * How long a request waits for the claims-freshness check (ADR 0014) and the session check (ADR
 * 0035) before it goes on with the token's own claims, as it does when the database is
 * unreachable (ADR 0021).
 */
const FRESHNESS_WAIT_MS = 2_000;

/** The auth server could not be asked (unreachable, 5xx, or slower than REFRESH_WAIT_MS). */
class RefreshUnavailable extends Error {}

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
    verifier = createAccessTokenVerifier({
      supabaseUrl: env.VITE_SUPABASE_URL,
      publishableKey: env.VITE_SUPABASE_PUBLISHABLE_KEY,
    });
  }
  return verifier;
}

/** The session auth-js answered with is the one the cookie already held: nothing was refreshed. */
function handedBack(session: Pick<StoredSession, "access_token" | "refresh_token"> | null, stored: StoredSession): boolean {
  return session?.access_token === stored.access_token && session.refresh_token === stored.refresh_token;
}

/**
 * Refreshes through a throw-away cookie view, so the outcome (the new cookies) can be handed to
 * every request that arrived with the same expired session. GoTrue's refresh tokens are single
 * use: N parallel requests each refreshing would revoke the session family on the second try.
 */
function refreshOnce(event: FetchEvent, requestUrl: URL, stored: StoredSession): Promise<RefreshOutcome> {
  const refreshToken = stored.refresh_token;
  const running = refreshes.get(refreshToken);
  if (running) return running;
  const flight = (async (): Promise<RefreshOutcome> => {
    const captured: RefreshOutcome = { cookies: [], headers: {}, accessToken: null };
    const scratch = new RequestCookies(event, (cookies, headers) => {
      captured.cookies.push(...cookies);
      Object.assign(captured.headers, headers);
    });
    const client = createRequestClient(scratch, requestUrl);
    // auth-js decides from the cookie's expires_at alone, the middleware from that AND the
    // token's exp (clocks apart, ADR 0021). getSession() refreshes only when expires_at is within
    // its margin; otherwise refreshSession() rotates (it refreshes once, as its session load does
    // not). Either way the new access token goes through the same local verification as any other.
    const authJsSeesExpiry = (stored.expires_at ?? Number.POSITIVE_INFINITY) - Date.now() / 1000 < REFRESH_MARGIN_SECONDS;
    let { data, error } = authJsSeesExpiry ? await client.auth.getSession() : await client.auth.refreshSession();
    // The trap (ADR 0044): when a refresh in its margin fails and the stored token has not expired
    // yet, getSession() answers with that stored session and no error, whether the auth server was
    // unreachable or refused the refresh token (session deleted, family revoked, user banned).
    // refreshSession() then answers with the failure itself: auth-js keeps a failed refresh's result
    // for that refresh token, so asking again costs no second request.
    if (authJsSeesExpiry && handedBack(data.session, stored)) ({ data, error } = await client.auth.refreshSession());
    // A 5xx or a network error: nothing is known about the session, so nothing may be removed.
    if (error && isAuthRetryableFetchError(error)) throw new RefreshUnavailable(error.message);
    // Anything else without a new session is a refusal, never a reason to keep the old token.
    captured.accessToken = error || !data.session || handedBack(data.session, stored) ? null : data.session.access_token;
    return captured;
  })();
  flight.then(
    () => setTimeout(() => refreshes.delete(refreshToken), RESULT_REUSE_MS).unref(),
    () => refreshes.delete(refreshToken),
  );
  refreshes.set(refreshToken, flight);
  return flight;
}

function within<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A database check of a valid token (ADR 0014's claims, ADR 0035's session, ADR 0034's second
 * factor), bounded by FRESHNESS_WAIT_MS. When the database cannot answer, `unanswered` stands:
 * the token's own claims for the first two, so pages that need no data keep working (ADR 0021);
 * "needs the code" for the second factor, which must fail closed (a page behind the code page
 * then says the service is unavailable).
 */
async function tokenCheck(what: string, checking: Promise<boolean>, unanswered: boolean): Promise<boolean> {
  try {
    return await within(checking, FRESHNESS_WAIT_MS, () =>
      Object.assign(new Error(`${what} check timed out`), { code: "CONNECT_TIMEOUT" }),
    );
  } catch (error) {
    if (!isDatabaseUnavailable(error)) throw error;
    checking.catch(() => undefined);
    console.warn(`${what} not checked (database unavailable): ${(error as Error).message}`);
    return unanswered;
  }
}

/** Puts verified claims on the request, with whether they still need the second factor. */
async function adoptClaims(auth: RequestAuth, claims: VerifiedClaims | null): Promise<void> {
  auth.claims = claims;
  auth.secondFactorPending = claims ? await tokenCheck("second factor", secondFactorPending(claims), true) : false;
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
    secondFactorPending: false,
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
    // Whichever of the token's exp and the cookie's expires_at comes first: with the app's and the
    // auth server's clocks apart they disagree, and either one past means the session needs a
    // refresh, never a sign-out (ADR 0021).
    const expiresAt = Math.min(result.claims.exp, stored.expires_at ?? Number.POSITIVE_INFINITY);
    const expiring = expiresAt - Date.now() / 1000 < REFRESH_MARGIN_SECONDS;
    // The session check runs whatever the token's age, before any refresh (ADR 0044): a token in
    // its margin is still valid, and it is what an unreachable auth server would leave standing.
    // The claims need no check then: the refresh brings them from the database. Both usually
    // answer from memory; when both must ask the database they do so side by side.
    const [sessionGone, claimsChanged] = await Promise.all([
      tokenCheck("session revocation", tokenSessionRevoked(result.claims), false),
      expiring ? false : tokenCheck("claims freshness", tokenClaimsOutdated(result.claims), false),
    ]);
    // The session was deleted (signed out everywhere, by an admin, user deleted): the token
    // still verifies, but a refresh would be refused anyway, so the cookies go now.
    if (sessionGone) result = { status: "invalid", reason: "session revoked" };
    else if (expiring) refresh = "expiring";
    else if (claimsChanged) refresh = "claims-changed";
  }

  if (refresh) {
    let outcome: RefreshOutcome;
    try {
      outcome = await within(refreshOnce(event, requestUrl, stored), REFRESH_WAIT_MS, () => new RefreshUnavailable("timed out"));
    } catch (error) {
      // The auth server is unreachable: keep the cookies for later. A token that is still valid
      // and only due for a refresh still signs this request in (its session was checked above);
      // one whose claims changed does not.
      console.warn(`session refresh failed: ${(error as Error).message}`);
      if (result.status === "valid" && refresh === "expiring" && result.claims.exp > Date.now() / 1000)
        await adoptClaims(auth, result.claims);
      return;
    }
    cookies.setAll(outcome.cookies, outcome.headers);
    result = outcome.accessToken ? await verify(outcome.accessToken) : { status: "invalid", reason: "refresh failed" };
  }

  if (result.status === "valid") {
    await adoptClaims(auth, result.claims);
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
    await adoptClaims(auth, null);
    return;
  }
  const result = await accessTokenVerifier()(stored.access_token);
  await adoptClaims(auth, result.status === "valid" ? result.claims : null);
}
