import * as v from "valibot";
import type { AuthContext } from "./context.ts";
import { AuthApiError, badRequest, unprocessable } from "./errors.ts";
import { issueAuthCode, readPkceParams } from "./flow-state.ts";
import { type AuthRequest, json, type Reply, readBodyAs, redirect } from "./http.ts";
import { redirectTarget } from "./redirects.ts";
import { issueSession, type SessionResponse } from "./sessions.ts";
import { tokenHash } from "./tokens.ts";
import { createUser, findUserByEmail, isEmailConfirmed } from "./users.ts";
import { metadata, normaliseEmail, optionalString } from "./validation.ts";
import {
  authMethodFor,
  consumeToken,
  PKCE_PREFIX,
  sendEmailChange,
  sendUserToken,
  takeMailBudget,
  type VerifyType,
} from "./verification.ts";

const OtpBody = v.object({
  email: optionalString,
  phone: optionalString,
  create_user: v.optional(v.nullable(v.boolean())),
  data: metadata,
  code_challenge: optionalString,
  code_challenge_method: optionalString,
});

/** Magic link. New or unconfirmed users get the signup confirmation instead, as GoTrue does. */
export async function otp(request: AuthRequest, context: AuthContext): Promise<Reply> {
  const body = await readBodyAs(request, OtpBody);
  if (body.email && body.phone) {
    throw badRequest("validation_failed", "Only an email address or phone number should be provided");
  }
  if (body.phone) throw badRequest("phone_provider_disabled", "Unsupported phone provider");
  if (!body.email) throw badRequest("validation_failed", "One of email or phone must be set");
  const email = normaliseEmail(body.email);
  const pkce = readPkceParams(body.code_challenge ?? undefined, body.code_challenge_method ?? undefined);
  const redirectTo = redirectTarget(context.config, request);
  const { auth } = context.config;
  await context.sql.begin(async (tx) => {
    let user = await findUserByEmail(tx, email);
    if (!user) {
      if (body.create_user === false || !auth.enable_signup || !auth.email.enable_signup) {
        throw unprocessable("otp_disabled", "Signups not allowed for otp");
      }
      context.limiter.take("sign_in_sign_ups", request.ip);
      user = await createUser(tx, {
        email,
        userMetadata: body.data ?? {},
        confirmed: false,
        provider: "email",
      });
    }
    takeMailBudget(context, request, email);
    const type = isEmailConfirmed(user) || !auth.email.enable_confirmations ? "magiclink" : "signup";
    await sendUserToken(tx, context, user, type, { redirectTo, pkce });
  });
  return json({});
}

const RecoverBody = v.object({
  email: optionalString,
  code_challenge: optionalString,
  code_challenge_method: optionalString,
});

/** Unknown addresses get the same `{}` as known ones, so the endpoint cannot probe for accounts. */
export async function recover(request: AuthRequest, context: AuthContext): Promise<Reply> {
  const body = await readBodyAs(request, RecoverBody);
  if (!body.email) throw badRequest("validation_failed", "Password recovery requires an email");
  const email = normaliseEmail(body.email);
  const pkce = readPkceParams(body.code_challenge ?? undefined, body.code_challenge_method ?? undefined);
  const redirectTo = redirectTarget(context.config, request);
  await context.sql.begin(async (tx) => {
    const user = await findUserByEmail(tx, email);
    if (!user) return;
    takeMailBudget(context, request, email);
    await sendUserToken(tx, context, user, "recovery", { redirectTo, pkce });
  });
  return json({});
}

const ResendBody = v.object({
  type: optionalString,
  email: optionalString,
  phone: optionalString,
  code_challenge: optionalString,
  code_challenge_method: optionalString,
});

const resendTypes = ["signup", "email_change", "sms", "phone_change"];

/**
 * `POST /resend`: the signup confirmation or the pending email change, mailed again. Like
 * /recover it answers `{}` whether or not there is anything to send, so it probes nothing.
 */
export async function resend(request: AuthRequest, context: AuthContext): Promise<Reply> {
  const body = await readBodyAs(request, ResendBody);
  const type = body.type ?? "";
  if (!resendTypes.includes(type)) {
    throw badRequest("validation_failed", "Missing one of these types: signup, email_change, sms, phone_change");
  }
  const emailFlow = type === "signup" || type === "email_change";
  const pkce = emailFlow ? readPkceParams(body.code_challenge ?? undefined, body.code_challenge_method ?? undefined) : undefined;
  if (!body.email && type === "signup") throw badRequest("validation_failed", "Type provided requires an email address");
  if (!body.phone && type === "sms") throw badRequest("validation_failed", "Type provided requires a phone number");
  if (body.email && body.phone) {
    throw badRequest("validation_failed", "Only an email address or phone number should be provided.");
  }
  if (body.phone) throw badRequest("phone_provider_disabled", "Phone logins are disabled");
  if (!body.email) throw badRequest("validation_failed", "Missing email address or phone number");
  const email = normaliseEmail(body.email);
  const redirectTo = redirectTarget(context.config, request);
  await context.sql.begin(async (tx) => {
    const user = await findUserByEmail(tx, email);
    if (!user) return;
    if (type === "signup" && !isEmailConfirmed(user)) {
      takeMailBudget(context, request, email);
      await sendUserToken(tx, context, user, "signup", { redirectTo, pkce });
    } else if (type === "email_change" && user.email_change) {
      takeMailBudget(context, request, user.email_change);
      await sendEmailChange(tx, context, user, user.email_change, { redirectTo, pkce });
    }
  });
  return json({});
}

const verifyTypes = ["signup", "invite", "magiclink", "recovery", "email_change", "email"] as const;

function readVerifyType(type: string | null | undefined): VerifyType {
  if (!type) throw badRequest("validation_failed", "Verify requires a verification type");
  if (!(verifyTypes as readonly string[]).includes(type)) {
    throw badRequest("validation_failed", "Invalid email verification type");
  }
  return type as VerifyType;
}

const VerifyBody = v.object({
  type: optionalString,
  token: optionalString,
  token_hash: optionalString,
  email: optionalString,
  phone: optionalString,
  redirect_to: optionalString,
});

const emailChangeAccepted = "Confirmation link accepted. Please proceed to confirm link sent to the other email";

export async function verifyPost(request: AuthRequest, context: AuthContext): Promise<Reply> {
  const body = await readBodyAs(request, VerifyBody);
  const type = readVerifyType(body.type);
  if (Boolean(body.token) === Boolean(body.token_hash)) {
    throw badRequest("validation_failed", "Verify requires either a token or a token hash");
  }
  let input: { type: VerifyType; hash: string; email?: string };
  if (body.token) {
    if (body.phone || !body.email) {
      throw badRequest("validation_failed", "Only an email address or phone number should be provided on verify");
    }
    const email = normaliseEmail(body.email);
    input = { type, hash: tokenHash(email, body.token.trim()), email };
  } else {
    if (body.email || body.phone || body.redirect_to) {
      throw badRequest("validation_failed", "Only the token_hash and type should be provided");
    }
    input = { type, hash: (body.token_hash as string).replace(/^pkce_/, "") };
  }
  context.limiter.take("token_verifications", request.ip);
  const reply = await context.sql.begin(async (tx) => {
    const result = await consumeToken(tx, context, input);
    if (result.status === "email_change_pending") return { msg: emailChangeAccepted, code: "200" };
    return issueSession(tx, context, result.user.id, "otp", {
      userAgent: String(request.headers["user-agent"] ?? ""),
      ip: request.ip,
    });
  });
  return json(reply);
}

function fragment(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

/** GoTrue's error redirect: fragment always, query too for PKCE (where the server reads it). */
function errorRedirect(target: string, error: AuthApiError, pkce: boolean): string {
  const url = new URL(target);
  const oauthError: Record<number, string> = { 400: "invalid_request", 401: "unauthorized_client", 403: "access_denied" };
  const params: Record<string, string> = {
    ...(oauthError[error.status] ? { error: oauthError[error.status] as string } : {}),
    error_code: error.code,
    error_description: error.message,
  };
  if (pkce) for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  url.hash = fragment({ ...params, sb: "" });
  return url.toString();
}

export function sessionFragment(session: SessionResponse, extra: Record<string, string>): string {
  return fragment({
    access_token: session.access_token,
    expires_at: String(session.expires_at),
    expires_in: String(session.expires_in),
    refresh_token: session.refresh_token,
    token_type: session.token_type,
    ...extra,
  });
}

/** The link in mails: verifies, then redirects with a session fragment (implicit) or `?code=` (PKCE). */
export async function verifyGet(request: AuthRequest, context: AuthContext): Promise<Reply> {
  const token = request.url.searchParams.get("token");
  const type = readVerifyType(request.url.searchParams.get("type"));
  if (!token) throw badRequest("validation_failed", "Verify requires a token or a token hash");
  const target = redirectTarget(context.config, request);
  const pkce = token.startsWith(PKCE_PREFIX);
  context.limiter.take("token_verifications", request.ip);
  try {
    const location = await context.sql.begin(async (tx) => {
      const result = await consumeToken(tx, context, { type, hash: token.replace(/^pkce_/, "") });
      if (result.status === "email_change_pending") {
        const url = new URL(target);
        if (pkce) url.searchParams.set("message", emailChangeAccepted);
        url.hash = fragment({ message: emailChangeAccepted, sb: "" });
        return url.toString();
      }
      if (pkce) {
        const code = await issueAuthCode(tx, result.user.id, authMethodFor[result.type]);
        const url = new URL(target);
        url.searchParams.set("code", code);
        return url.toString();
      }
      const session = await issueSession(tx, context, result.user.id, "otp", { ip: request.ip });
      const url = new URL(target);
      url.hash = sessionFragment(session, { type: result.type });
      return url.toString();
    });
    return redirect(location);
  } catch (error) {
    if (error instanceof AuthApiError) return redirect(errorRedirect(target, error, pkce));
    throw error;
  }
}
