/** The auth server may add provider/providers to a token without storing them. */
function withoutProviders(metadata: unknown): Record<string, unknown> {
  const { provider: _provider, providers: _providers, ...rest } = (metadata ?? {}) as Record<string, unknown>;
  return rest;
}

/** JSON with sorted keys, so two equal objects compare equal whatever their key order (jsonb sorts). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonical(entry)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * Whether a token's app_metadata still says what the user's stored app_metadata says: key order
 * and the provider fields the auth server adds on its own do not count.
 */
export function sameAppMetadata(stored: unknown, token: unknown): boolean {
  return canonical(withoutProviders(stored)) === canonical(withoutProviders(token));
}

/**
 * The verified claims GoTrue puts in an access token, as far as the app reads them. They must
 * come from a verified token (the middleware's verifier), never from a decoded cookie; the RLS
 * transaction hands them to Postgres as `request.jwt.claims`. Supabase's `JwtPayload` is
 * assignable to this type.
 */
export interface VerifiedClaims {
  sub: string;
  role: string;
  exp: number;
  aud?: string | string[];
  iss?: string;
  iat?: number;
  email?: string;
  phone?: string;
  session_id?: string;
  aal?: string;
  is_anonymous?: boolean;
  app_metadata?: {
    provider?: string;
    providers?: string[];
    user_role?: string;
    [claim: string]: unknown;
  };
  user_metadata?: Record<string, unknown>;
  [claim: string]: unknown;
}
