import { errors, jwtVerify } from "jose";
import type { AuthKeys } from "../auth/keys.ts";

/** Who a channel acts as: the role and claims its RLS checks run with. */
export interface Auth {
  role: "anon" | "authenticated" | "service_role";
  claims: Record<string, unknown>;
  /** `role` + claims as JSON: subscribers with equal keys see exactly the same rows. */
  groupKey: string;
  /** Seconds since the epoch; API keys never expire. */
  exp: number;
}

export type AuthResult = { ok: true; auth: Auth } | { ok: false; reason: string };

const ROLES = new Set(["anon", "authenticated", "service_role"]);

function auth(role: Auth["role"], claims: Record<string, unknown>, exp: number): Auth {
  const json = JSON.stringify(claims);
  return { role, claims, groupKey: `${role}\u0000${json}`, exp };
}

/**
 * Supabase Realtime turns `sb_…` API keys into the matching role and verifies user JWTs itself;
 * its reasons read "<Code>: <message>", which realtime-js surfaces in CHANNEL_ERROR.
 */
export async function authenticate(keys: AuthKeys, token: string): Promise<AuthResult> {
  if (token === keys.publishableKey) return { ok: true, auth: auth("anon", { role: "anon", iss: "supabase" }, Infinity) };
  if (token === keys.secretKey) {
    return { ok: true, auth: auth("service_role", { role: "service_role", iss: "supabase" }, Infinity) };
  }
  if (token.startsWith("sb_")) return { ok: false, reason: "InvalidJWTToken: Invalid API key" };
  try {
    const { payload } = await jwtVerify(token, keys.publicKey, { algorithms: ["ES256"] });
    if (typeof payload.role !== "string" || typeof payload.exp !== "number") {
      return { ok: false, reason: "InvalidJWTToken: Fields `role` and `exp` are required in JWT" };
    }
    if (!ROLES.has(payload.role)) return { ok: false, reason: `InvalidJWTToken: Role ${payload.role} is not allowed` };
    return { ok: true, auth: auth(payload.role as Auth["role"], payload as Record<string, unknown>, payload.exp) };
  } catch (error) {
    if (error instanceof errors.JWTExpired) {
      const exp = typeof error.payload.exp === "number" ? error.payload.exp : 0;
      return { ok: false, reason: `InvalidJWTToken: ${expiredMessage(exp)}` };
    }
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      return { ok: false, reason: "JwtSignatureError: Failed to validate JWT signature" };
    }
    return { ok: false, reason: "MalformedJWT: The token provided is not a valid JWT" };
  }
}

export function expiredMessage(exp: number): string {
  return `Token has expired ${Math.max(0, Math.floor(Date.now() / 1000 - exp))} seconds ago`;
}

export function isExpired(value: Auth): boolean {
  return value.exp * 1000 <= Date.now();
}
