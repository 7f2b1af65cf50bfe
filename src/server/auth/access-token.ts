import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  jwtVerify,
} from "jose";

/** The verified claims GoTrue puts in an access token (the ones this app reads). */
export interface AuthClaims extends JWTPayload {
  sub: string;
  exp: number;
  role: string;
  email?: string;
  session_id?: string;
  is_anonymous?: boolean;
  app_metadata?: { provider?: string; providers?: string[]; user_role?: string; [key: string]: unknown };
  user_metadata?: Record<string, unknown>;
}

export type Verification =
  | { status: "valid"; claims: AuthClaims }
  | { status: "expired" }
  | { status: "invalid"; reason: string }
  /** Shared-secret (legacy HS256) tokens, no key id, or a kid not in the cached JWKS: ask GoTrue. */
  | { status: "unverifiable" };

const ASYMMETRIC = ["ES256", "RS256"];
const MAX_CACHED_TOKENS = 10_000;

/**
 * Verifies access tokens locally against the project's JWKS. auth-js's getClaims() re-imports the
 * public key and re-fetches the JWKS per client; here one key set per process is fetched once
 * (concurrent cold requests share the fetch), refetched only for an unknown `kid` and then at
 * most once per cooldown, and a verified token's claims are kept until its `exp`, keyed by the
 * whole token string, so only a holder of that exact token can hit the entry.
 */
export function createAccessTokenVerifier(options: {
  supabaseUrl: string;
  /** Refetch on an unknown kid at most this often (key rotation), in ms. */
  cooldown?: number;
}) {
  const issuer = `${options.supabaseUrl}/auth/v1`;
  const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`), {
    cooldownDuration: options.cooldown ?? 30_000,
    cacheMaxAge: 10 * 60_000,
  });
  const verified = new Map<string, AuthClaims>();

  function remember(token: string, claims: AuthClaims): void {
    // A Map iterates in insertion order: drop the oldest entries, never scan the whole cache.
    while (verified.size >= MAX_CACHED_TOKENS) verified.delete(verified.keys().next().value as string);
    verified.set(token, claims);
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
    if (!header.alg || !ASYMMETRIC.includes(header.alg) || !header.kid) return { status: "unverifiable" };
    try {
      const { payload } = await jwtVerify(token, jwks, {
        issuer,
        audience: "authenticated",
        algorithms: ASYMMETRIC,
        requiredClaims: ["sub", "exp", "role"],
      });
      const claims = payload as AuthClaims;
      remember(token, claims);
      return { status: "valid", claims };
    } catch (error) {
      if (error instanceof errors.JWTExpired) return { status: "expired" };
      // A kid this process has not seen while the JWKS refetch is cooling down (a key rotation
      // right after the last fetch): let the auth server judge the token instead of signing the
      // user out; a forged kid fails there just the same.
      if (error instanceof errors.JWKSNoMatchingKey) return { status: "unverifiable" };
      return { status: "invalid", reason: (error as Error).message };
    }
  };
}

export type AccessTokenVerifier = ReturnType<typeof createAccessTokenVerifier>;
