/**
 * The app_metadata keys the auth server owns: it may add them to a token without storing them, and
 * no role change may set them (public.set_claim and public.delete_claim refuse them).
 */
export const AUTH_SERVER_METADATA_KEYS = ["provider", "providers"] as const;

function withoutProviders(metadata: unknown): Record<string, unknown> {
  const rest = { ...((metadata ?? {}) as Record<string, unknown>) };
  for (const key of AUTH_SERVER_METADATA_KEYS) delete rest[key];
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
