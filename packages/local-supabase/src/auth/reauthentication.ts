import { timingSafeEqual } from "node:crypto";
import type { AuthContext } from "./context.ts";
import { badRequest, unprocessable } from "./errors.ts";
import { type AuthRequest, json, type Reply } from "./http.ts";
import { authenticate } from "./sessions.ts";
import { newOtp, tokenHash } from "./tokens.ts";
import { type Db, isEmailConfirmed, type UserRow } from "./users.ts";
import { isFresh, storeOneTimeToken, takeMailBudget } from "./verification.ts";

/** GoTrue asks for a nonce only when the session is older than this. */
const RECENT_SIGN_IN_MS = 24 * 60 * 60 * 1000;

/** `GET /reauthenticate`: mails a code that a password change then presents as `nonce`. */
export async function reauthenticate(request: AuthRequest, context: AuthContext): Promise<Reply> {
  const who = await authenticate(context, request.headers.authorization);
  const email = who.user.email ?? "";
  if (!email) {
    throw badRequest("validation_failed", "Reauthentication requires the user to have an email or a phone number");
  }
  if (!isEmailConfirmed(who.user)) throw unprocessable("email_not_confirmed", "Please verify your email first.");
  takeMailBudget(context, request, email);
  const otp = newOtp(context.config.auth.email.otp_length);
  const hash = tokenHash(email, otp);
  await context.sql.begin(async (tx) => {
    await tx`update auth.users set reauthentication_token = ${hash}, reauthentication_sent_at = now(), updated_at = now()
             where id = ${who.user.id}`;
    await storeOneTimeToken(tx, who.user.id, "reauthentication_token", hash, email);
  });
  context.mailer.sendReauthentication(email, otp);
  return json({});
}

const invalidNonce = () => unprocessable("reauthentication_not_valid", "Nonce has expired or is invalid");

/**
 * `[auth.email] secure_password_change`: as GoTrue, a session signed in within the last 24 hours
 * may change the password without a nonce; an older one (or none) must present the mailed code,
 * which is used up by the change.
 */
export async function checkReauthentication(
  db: Db,
  context: AuthContext,
  user: UserRow,
  sessionId: string | undefined,
  nonce: string | null | undefined,
): Promise<void> {
  if (!context.config.auth.email.secure_password_change) return;
  if (sessionId) {
    const [session] = await db<{ created_at: Date }[]>`select created_at from auth.sessions where id = ${sessionId}`;
    if (session && Date.now() <= session.created_at.getTime() + RECENT_SIGN_IN_MS) return;
  }
  if (!nonce) throw badRequest("reauthentication_needed", "Password update requires reauthentication");
  const email = user.email ?? "";
  if (!user.reauthentication_token || !user.reauthentication_sent_at || !email) throw invalidNonce();
  const given = Buffer.from(tokenHash(email, nonce));
  const stored = Buffer.from(user.reauthentication_token);
  const valid =
    given.length === stored.length &&
    timingSafeEqual(given, stored) &&
    isFresh(user.reauthentication_sent_at, context.config.auth.email.otp_expiry);
  if (!valid) throw invalidNonce();
  await db`update auth.users set reauthentication_token = '', reauthentication_sent_at = null where id = ${user.id}`;
  await db`delete from auth.one_time_tokens where user_id = ${user.id} and token_type = 'reauthentication_token'`;
}
