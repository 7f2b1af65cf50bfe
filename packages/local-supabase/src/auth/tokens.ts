import { createHash, randomBytes, randomInt } from "node:crypto";
import { jwtVerify, SignJWT } from "jose";
import { AuthApiError, forbidden } from "./errors.ts";
import type { AuthKeys } from "./keys.ts";

export interface AmrEntry {
  method: string;
  timestamp: number;
}

export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  iat: number;
  email: string;
  phone: string;
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  role: string;
  aal: string;
  amr: AmrEntry[];
  session_id: string;
  is_anonymous: boolean;
}

export async function signAccessToken(keys: AuthKeys, claims: AccessTokenClaims): Promise<string> {
  return new SignJWT({ ...claims }).setProtectedHeader({ alg: "ES256", kid: keys.kid, typ: "JWT" }).sign(keys.privateKey);
}

/** GoTrue answers every unverifiable bearer with 403 `bad_jwt`, expired ones included. */
export async function verifyAccessToken(keys: AuthKeys, token: string): Promise<AccessTokenClaims> {
  try {
    const { payload } = await jwtVerify(token, keys.publicKey, { algorithms: ["ES256"] });
    return payload as unknown as AccessTokenClaims;
  } catch (error) {
    if (error instanceof AuthApiError) throw error;
    throw forbidden("bad_jwt", `invalid JWT: unable to parse or verify signature, ${(error as Error).message}`);
  }
}

const refreshAlphabet = "abcdefghijklmnopqrstuvwxyz234567";

/** GoTrue's v1 refresh tokens: 12 lowercase base32 characters, which its validator insists on. */
export function newRefreshToken(): string {
  const bytes = randomBytes(12);
  let token = "";
  for (const byte of bytes) token += refreshAlphabet[byte % 32];
  return token;
}

export const refreshTokenShape = /^[a-z0-9]{12}$/;

/** A numeric one-time code, as mails carry in `{{ .Token }}`. */
export function newOtp(length: number): string {
  let code = "";
  for (let i = 0; i < length; i++) code += String(randomInt(10));
  return code;
}

/**
 * The stored form of an email OTP: sha224(email + otp) in hex. The same string is the mail's
 * token_hash, so a link and a typed code resolve to one row.
 */
export function tokenHash(emailOrPhone: string, otp: string): string {
  return createHash("sha224")
    .update(emailOrPhone + otp)
    .digest("hex");
}

/** PKCE S256: base64url(sha256(verifier)) without padding, compared to the stored challenge. */
export function pkceChallenge(verifier: string, method: "s256" | "plain"): string {
  return method === "plain" ? verifier : createHash("sha256").update(verifier).digest("base64url");
}
