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
