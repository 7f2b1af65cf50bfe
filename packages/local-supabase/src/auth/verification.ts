import { randomUUID } from "node:crypto";
import type { AuthContext } from "./context.ts";
import { badRequest, forbidden } from "./errors.ts";
import { createFlowState, type PkceParams } from "./flow-state.ts";
import type { AuthRequest } from "./http.ts";
import type { MailType } from "./mail.ts";
import type { AuthMethod } from "./sessions.ts";
import { newOtp, tokenHash } from "./tokens.ts";
import { becomePermanent, confirmEmail, type Db, isBanned, syncProviders, type UserRow } from "./users.ts";

/** Mail sending is rate limited twice: per IP (email_sent) and per address (max_frequency). */
export function takeMailBudget(context: AuthContext, request: AuthRequest, address: string): void {
  context.limiter.take("email_sent", request.ip);
  context.limiter.takeMailTo(address);
}

export const PKCE_PREFIX = "pkce_";

/** The mail type of a link, as `type` in /verify; `email` is the OTP alias for signup-or-magiclink. */
export type VerifyType = MailType | "email";

export const authMethodFor: Record<MailType, AuthMethod> = {
  signup: "email/signup",
  invite: "invite",
  magiclink: "magiclink",
  recovery: "recovery",
  email_change: "email_change",
};

interface TokenSlot {
  column: "confirmation_token" | "recovery_token";
  sentAt: "confirmation_sent_at" | "recovery_sent_at";
  ottType: "confirmation_token" | "recovery_token";
}

const slots: Record<"signup" | "invite" | "magiclink" | "recovery", TokenSlot> = {
  signup: { column: "confirmation_token", sentAt: "confirmation_sent_at", ottType: "confirmation_token" },
  invite: { column: "confirmation_token", sentAt: "confirmation_sent_at", ottType: "confirmation_token" },
  magiclink: { column: "recovery_token", sentAt: "recovery_sent_at", ottType: "recovery_token" },
  recovery: { column: "recovery_token", sentAt: "recovery_sent_at", ottType: "recovery_token" },
};

export async function storeOneTimeToken(db: Db, userId: string, type: string, hash: string, relatesTo: string) {
  await db`
    insert into auth.one_time_tokens (id, user_id, token_type, token_hash, relates_to, created_at, updated_at)
    values (${randomUUID()}, ${userId}, ${type}, ${hash}, ${relatesTo}, now(), now())
    on conflict (user_id, token_type) do update
      set token_hash = excluded.token_hash, relates_to = excluded.relates_to, updated_at = now()`;
}

export interface SendOptions {
  redirectTo: string;
  pkce?: PkceParams;
  /** Skip the mail (admin generate_link returns the link instead). */
  silent?: boolean;
}

export interface IssuedToken {
  hashedToken: string;
  otp: string;
}

/** Stores a fresh one-time token for the user (as GoTrue: in auth.users and auth.one_time_tokens) and mails it. */
export async function sendUserToken(
  db: Db,
  context: AuthContext,
  user: UserRow,
  type: "signup" | "invite" | "magiclink" | "recovery",
  options: SendOptions,
): Promise<IssuedToken> {
  const email = user.email ?? "";
  const otp = newOtp(context.config.auth.email.otp_length);
  let hashed = tokenHash(email, otp);
  if (options.pkce) {
    hashed = PKCE_PREFIX + hashed;
    await createFlowState(db, {
      pkce: options.pkce,
      providerType: "email",
      method: authMethodFor[type],
      userId: user.id,
    });
  }
  const slot = slots[type];
  await db`
    update auth.users set ${db({ [slot.column]: hashed, [slot.sentAt]: new Date() })}, updated_at = now()
    where id = ${user.id}`;
  await storeOneTimeToken(db, user.id, slot.ottType, hashed, email);
  if (!options.silent) {
    context.mailer.send({ to: email, type, tokenHash: hashed, otp, redirectTo: options.redirectTo });
  }
  return { hashedToken: hashed, otp };
}

/** Email change with double confirmation: one token to the current address, one to the new one. */
export async function sendEmailChange(
  db: Db,
  context: AuthContext,
  user: UserRow,
  newEmail: string,
  options: SendOptions,
): Promise<IssuedToken> {
  const current = user.email ?? "";
  const otpNew = newOtp(context.config.auth.email.otp_length);
  const prefix = options.pkce ? PKCE_PREFIX : "";
  const hashNew = prefix + tokenHash(newEmail, otpNew);
  const double = context.config.auth.email.double_confirm_changes && current !== "";
  const otpCurrent = double ? newOtp(context.config.auth.email.otp_length) : "";
  const hashCurrent = double ? prefix + tokenHash(current, otpCurrent) : "";
  if (options.pkce) {
    await createFlowState(db, { pkce: options.pkce, providerType: "email", method: "email_change", userId: user.id });
  }
  await db`
    update auth.users set email_change = ${newEmail}, email_change_token_new = ${hashNew},
      email_change_token_current = ${hashCurrent}, email_change_confirm_status = 0,
      email_change_sent_at = now(), updated_at = now()
    where id = ${user.id}`;
  await storeOneTimeToken(db, user.id, "email_change_token_new", hashNew, newEmail);
  if (double) await storeOneTimeToken(db, user.id, "email_change_token_current", hashCurrent, current);
  if (!options.silent) {
    const base = { type: "email_change" as const, redirectTo: options.redirectTo, newEmail };
    context.mailer.send({ ...base, to: newEmail, tokenHash: hashNew, otp: otpNew });
    if (double) context.mailer.send({ ...base, to: current, tokenHash: hashCurrent, otp: otpCurrent });
  }
  return { hashedToken: hashNew, otp: otpNew };
}

const expired = () => forbidden("otp_expired", "Email link is invalid or has expired");

export function isFresh(sentAt: Date | null, otpExpirySeconds: number): boolean {
  return sentAt !== null && Date.now() <= sentAt.getTime() + otpExpirySeconds * 1000;
}

export interface VerifyInput {
  type: VerifyType;
  /** Stored form: the mail's token_hash, or sha224(email + typed code). */
  hash: string;
  /** Set when the client sent email + code rather than a token_hash. */
  email?: string;
}

export type VerifyResult =
  | { status: "verified"; user: UserRow; type: MailType }
  /** First half of a double-confirmed email change: nothing to sign in yet. */
  | { status: "email_change_pending" };

/** Finds and consumes the token, then applies what the mail was for (confirm, recover, change email). */
export async function consumeToken(db: Db, context: AuthContext, input: VerifyInput): Promise<VerifyResult> {
  const expiry = context.config.auth.email.otp_expiry;
  const matches = (stored: string | null) => Boolean(stored) && (stored === input.hash || stored === PKCE_PREFIX + input.hash);
  const candidates = input.email
    ? await db<UserRow[]>`
        select * from auth.users
        where lower(email) = ${input.email.toLowerCase()} or lower(email_change) = ${input.email.toLowerCase()}
        limit 2`
    : await db<UserRow[]>`
        select * from auth.users
        where ${input.hash} in (confirmation_token, recovery_token, email_change_token_new, email_change_token_current)
           or ${PKCE_PREFIX + input.hash} in (confirmation_token, recovery_token, email_change_token_new, email_change_token_current)
        limit 2`;
  const lookFor: MailType[] =
    input.type === "email" ? ["signup", "magiclink"] : [input.type === "invite" ? "invite" : input.type];
  for (const user of candidates) {
    if (!user) continue;
    for (const type of lookFor) {
      if (type === "email_change") {
        const currentMatch = matches(user.email_change_token_current);
        const newMatch = matches(user.email_change_token_new);
        if (!currentMatch && !newMatch) continue;
        if (!isFresh(user.email_change_sent_at, expiry)) throw expired();
        if (isBanned(user)) throw forbidden("user_banned", "User is banned");
        return applyEmailChange(db, user, currentMatch ? "current" : "new");
      }
      const column = type === "signup" || type === "invite" ? user.confirmation_token : user.recovery_token;
      if (!matches(column)) continue;
      const sentAt = type === "signup" || type === "invite" ? user.confirmation_sent_at : user.recovery_sent_at;
      if (!isFresh(sentAt, expiry)) throw expired();
      if (isBanned(user)) throw forbidden("user_banned", "User is banned");
      if (type === "signup" || type === "invite") {
        await confirmEmail(db, user.id);
      } else {
        await db`update auth.users set recovery_token = '', updated_at = now() where id = ${user.id}`;
        await db`delete from auth.one_time_tokens where user_id = ${user.id} and token_type = 'recovery_token'`;
        // A magic link or recovery mail proves the address too.
        if (!user.email_confirmed_at) await confirmEmail(db, user.id);
      }
      await syncProviders(db, user.id);
      const [fresh] = await db<UserRow[]>`select * from auth.users where id = ${user.id}`;
      return { status: "verified", user: fresh as UserRow, type };
    }
  }
  if (input.email) throw forbidden("otp_expired", "Token has expired or is invalid");
  throw expired();
}

async function applyEmailChange(db: Db, user: UserRow, which: "current" | "new"): Promise<VerifyResult> {
  const bothNeeded = Boolean(user.email_change_token_current) && Boolean(user.email_change_token_new);
  if (bothNeeded && (user.email_change_confirm_status ?? 0) === 0) {
    const cleared = which === "current" ? "email_change_token_current" : "email_change_token_new";
    await db`update auth.users set ${db({ [cleared]: "" })}, email_change_confirm_status = 1, updated_at = now()
             where id = ${user.id}`;
    await db`delete from auth.one_time_tokens where user_id = ${user.id} and token_type = ${cleared}`;
    return { status: "email_change_pending" };
  }
  const newEmail = user.email_change ?? "";
  if (!newEmail) throw badRequest("validation_failed", "No email change is pending");
  await db`
    update auth.users set email = ${newEmail}, email_change = '', email_change_token_new = '',
      email_change_token_current = '', email_change_confirm_status = 0, email_change_sent_at = null,
      email_confirmed_at = coalesce(email_confirmed_at, now()), updated_at = now()
    where id = ${user.id}`;
  await db`
    update auth.identities set identity_data = identity_data || jsonb_build_object('email', ${newEmail}::text, 'email_verified', true)
    where user_id = ${user.id} and provider = 'email'`;
  await db`delete from auth.one_time_tokens where user_id = ${user.id}
           and token_type in ('email_change_token_new', 'email_change_token_current')`;
  if (user.is_anonymous) await becomePermanent(db, user.id, newEmail);
  const [fresh] = await db<UserRow[]>`select * from auth.users where id = ${user.id}`;
  return { status: "verified", user: fresh as UserRow, type: "email_change" };
}
