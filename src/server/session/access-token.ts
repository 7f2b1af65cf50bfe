import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, type JWTPayload, jwtVerify } from "jose";
import type { VerifiedClaims } from "~/lib/domain/claims";
import { UUID_PATTERN } from "~/lib/domain/ids";

export type Verification =
  | { status: "valid"; claims: VerifiedClaims }
  | { status: "expired" }
  | { status: "invalid"; reason: string }
  /**
   * Could not be checked now (the auth server is unreachable, or too many tokens needed it this
   * second): serve the request signed out but keep the session cookies.
   */
  | { status: "retry-later" };

const ASYMMETRIC = ["ES256", "RS256"];

/*
 * GoTrue's `sub` is the user's uuid, and the app hands it to Postgres as one (RLS claims, the
 * claims-freshness lookup). A validly signed token with any other `sub` (another issuer's token
 * signed with a shared key, a hand-made one) is not a session of this project: it is refused here
 * (UUID_PATTERN), so the request is signed out instead of failing on a uuid cast further in.
 */

const MAX_CACHED_TOKENS = 10_000;
/** Tokens the auth server is asked about per second (burst: twice as many), per process. */
const AUTH_SERVER_CHECKS_PER_SECOND = 20;
/** A hanging auth server must not hang every request that carries such a token. */
const AUTH_SERVER_TIMEOUT_MS = 5_000;

/**
 * Verifies access tokens locally against the project's JWKS. auth-js's getClaims() re-imports the
 * public key and re-fetches the JWKS per client; here one key set per process is fetched once
 * (concurrent cold requests share the fetch), refetched only for an unknown `kid` and then at
 * most once per cooldown, and a verified token's claims are kept until its `exp`, keyed by the
 * whole token string, so only a holder of that exact token can hit the entry.
 *
 * What cannot be checked locally (legacy HS256 tokens, no kid, a kid still unknown after the
 * refetch or unknown during the cooldown) goes to the auth server's /user, which checks the
 * signature and the session: one request per distinct token, at most
 * AUTH_SERVER_CHECKS_PER_SECOND per second, so tokens with made-up kids cannot turn into a flood
 * of JWKS fetches or auth server calls (auth-js fetches the JWKS for every such token).
 */
/** An unknown kid refetches the JWKS at most this often (key rotation without a refetch storm). */
const JWKS_COOLDOWN_MS = 30_000;
/** How long fetched signing keys are trusted before the JWKS is read again. */
const JWKS_MAX_AGE_MS = 10 * 60_000;

export function createAccessTokenVerifier(options: {
  supabaseUrl: string;
  publishableKey: string;
  /** Refetch on an unknown kid at most this often (key rotation), in ms. */
  cooldown?: number;
}) {
  const issuer = `${options.supabaseUrl}/auth/v1`;
  const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`), {
    cooldownDuration: options.cooldown ?? JWKS_COOLDOWN_MS,
    cacheMaxAge: JWKS_MAX_AGE_MS,
  });
  const verified = new Map<string, VerifiedClaims>();
  const asking = new Map<string, Promise<Verification>>();
  const budget = { tokens: 2 * AUTH_SERVER_CHECKS_PER_SECOND, at: Date.now() };

  function remember(token: string, claims: VerifiedClaims): void {
    // A Map iterates in insertion order: drop the oldest entries, never scan the whole cache.
    while (verified.size >= MAX_CACHED_TOKENS) verified.delete(verified.keys().next().value as string);
    verified.set(token, claims);
  }

  function withinBudget(): boolean {
    const now = Date.now();
    budget.tokens = Math.min(
      2 * AUTH_SERVER_CHECKS_PER_SECOND,
      budget.tokens + ((now - budget.at) / 1000) * AUTH_SERVER_CHECKS_PER_SECOND,
    );
    budget.at = now;
    if (budget.tokens < 1) return false;
    budget.tokens -= 1;
    return true;
  }

  async function askAuthServer(token: string): Promise<Verification> {
    let payload: JWTPayload;
    try {
      payload = decodeJwt(token);
    } catch {
      return { status: "invalid", reason: "malformed token" };
    }
    const pending = asking.get(token);
    if (pending) return pending;
    // Charged before the expiry shortcut too: an "expired" token leads to a refresh, which is an
    // auth server call as well, and nothing has checked this token's signature.
    if (!withinBudget()) return { status: "retry-later" };
    if (typeof payload.exp === "number" && payload.exp <= Date.now() / 1000) return { status: "expired" };
    const answer = (async (): Promise<Verification> => {
      let response: Response;
      let user: { id?: unknown };
      try {
        response = await fetch(`${issuer}/user`, {
          headers: { apikey: options.publishableKey, authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(AUTH_SERVER_TIMEOUT_MS),
        });
        if (response.status === 429 || response.status >= 500) return { status: "retry-later" };
        if (!response.ok) {
          await response.body?.cancel();
          return { status: "invalid", reason: `auth server: ${response.status}` };
        }
        user = (await response.json()) as { id?: unknown };
      } catch {
        return { status: "retry-later" };
      }
      // The auth server accepted this exact token, so its payload is as good as verified; it
      // still has to be a session token of this project, as on the local path.
      const claims = payload as VerifiedClaims;
      const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (
        user.id !== claims.sub ||
        typeof claims.sub !== "string" ||
        !UUID_PATTERN.test(claims.sub) ||
        claims.iss !== issuer ||
        !audience.includes("authenticated") ||
        typeof claims.exp !== "number" ||
        typeof claims.role !== "string"
      ) {
        return { status: "invalid", reason: "not a session token of this project" };
      }
      remember(token, claims);
      return { status: "valid", claims };
    })().finally(() => asking.delete(token));
    asking.set(token, answer);
    return answer;
  }

  return async function verify(token: string): Promise<Verification> {
    const now = Math.floor(Date.now() / 1000);
    const cached = verified.get(token);
    if (cached) {
      if (cached.exp > now) return { status: "valid", claims: cached };
      verified.delete(token);
      return { status: "expired" };
    }
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return { status: "invalid", reason: "malformed token" };
    }
    if (header.alg === "none") return { status: "invalid", reason: "alg none" };
    if (!header.alg || !ASYMMETRIC.includes(header.alg) || !header.kid) return askAuthServer(token);
    try {
      const { payload } = await jwtVerify(token, jwks, {
        issuer,
        audience: "authenticated",
        algorithms: ASYMMETRIC,
        requiredClaims: ["sub", "exp", "role"],
      });
      const claims = payload as VerifiedClaims;
      if (!UUID_PATTERN.test(claims.sub)) return { status: "invalid", reason: "sub is not a user id" };
      remember(token, claims);
      return { status: "valid", claims };
    } catch (error) {
      if (error instanceof errors.JWTExpired) return { status: "expired" };
      // A kid this process has not seen (a key rotation right after the last fetch, or a forged
      // kid): the auth server judges it, within the budget, instead of signing the user out.
      if (error instanceof errors.JWKSNoMatchingKey) return askAuthServer(token);
      return { status: "invalid", reason: (error as Error).message };
    }
  };
}

export type AccessTokenVerifier = ReturnType<typeof createAccessTokenVerifier>;
