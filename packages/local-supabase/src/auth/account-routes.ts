import { randomUUID } from "node:crypto";
import * as v from "valibot";
import type { AuthContext } from "./context.ts";
import { badRequest, unauthorized, unprocessable } from "./errors.ts";
import { idTokenGrant, web3Grant } from "./disabled-routes.ts";
import { exchangeAuthCode, readPkceParams } from "./flow-state.ts";
import { type AuthRequest, empty, json, type Reply, readBodyAs } from "./http.ts";
import { checkReauthentication } from "./reauthentication.ts";
import { redirectTarget } from "./redirects.ts";
import { type Authenticated, authenticate, issueSession, type LogoutScope, logout, refreshSession } from "./sessions.ts";
import {
  asJson,
  becomePermanent,
  createAnonymousUser,
  createUser,
  findUserByEmail,
  hashPassword,
  isBanned,
  isEmailConfirmed,
  loadRenderedUser,
  passwordMatches,
  renderUser,
  type UserRow,
} from "./users.ts";
import { checkPasswordStrength, metadata, mergeMetadata, normaliseEmail, optionalString } from "./validation.ts";
import { sendEmailChange, sendUserToken, takeMailBudget } from "./verification.ts";

const meta = (request: AuthRequest) => ({
  userAgent: typeof request.headers["user-agent"] === "string" ? request.headers["user-agent"] : undefined,
  ip: request.ip,
});

const SignupBody = v.object({
  email: optionalString,
  phone: optionalString,
  password: optionalString,
  data: metadata,
  code_challenge: optionalString,
  code_challenge_method: optionalString,
});

/**
 * With confirmations on, signing up an address that is already confirmed answers a look-alike user
 * (fresh id, no identities) instead of an error, so signup cannot be used to probe for accounts.
 */
function disguisedUser(user: UserRow) {
  const now = new Date();
  return {
    ...renderUser(
      { ...user, id: randomUUID(), created_at: now, updated_at: now, raw_app_meta_data: {}, raw_user_meta_data: {} },
      [],
    ),
    email_confirmed_at: undefined,
    confirmed_at: undefined,
    last_sign_in_at: undefined,
    confirmation_sent_at: now.toISOString(),
  };
}

export async function signup(request: AuthRequest, context: AuthContext): Promise<Reply> {
  const body = await readBodyAs(request, SignupBody);
  const { auth } = context.config;
  // GoTrue decides "anonymous" from the body alone, before the signup switch and the rate limit.
  if (!body.email && !body.phone) {
    if (!auth.enable_anonymous_sign_ins) {
      throw unprocessable("anonymous_provider_disabled", "Anonymous sign-ins are disabled");
    }
    context.limiter.take("anonymous_users", request.ip);
    if (!auth.enable_signup) throw unprocessable("signup_disabled", "Signups not allowed for this instance");
    const userMetadata = body.data ?? {};
    return context.sql.begin(async (tx) => {
      const user = await createAnonymousUser(tx, userMetadata);
      return json(await issueSession(tx, context, user.id, "anonymous", meta(request)));
    });
  }
  context.limiter.take("sign_in_sign_ups", request.ip);
  if (!auth.enable_signup || !auth.email.enable_signup) {
    throw unprocessable("signup_disabled", "Signups not allowed for this instance");
  }
  if (!body.password) throw badRequest("validation_failed", "Signup requires a valid password");
  checkPasswordStrength(context.config, body.password);
  if (body.email && body.phone) {
    throw badRequest("validation_failed", "Only an email address or phone number should be provided on signup.");
  }
  if (body.phone) throw badRequest("phone_provider_disabled", "Phone signups are disabled");
  if (!body.email) throw badRequest("validation_failed", "To signup, please provide your email");
  const email = normaliseEmail(body.email);
  const pkce = readPkceParams(body.code_challenge ?? undefined, body.code_challenge_method ?? undefined);
  const autoconfirm = !auth.email.enable_confirmations;
  const redirectTo = redirectTarget(context.config, request);
  const password = body.password;

  return context.sql.begin(async (tx) => {
    const existing = await findUserByEmail(tx, email);
    if (existing && (isEmailConfirmed(existing) || autoconfirm)) {
      if (autoconfirm) throw unprocessable("user_already_exists", "User already registered");
      return json(disguisedUser(existing));
    }
    if (existing) {
      // Unconfirmed: GoTrue resends the confirmation rather than failing.
      takeMailBudget(context, request, email);
      await sendUserToken(tx, context, existing, "signup", { redirectTo, pkce });
      return json(await loadRenderedUser(tx, existing.id));
    }
    const user = await createUser(tx, {
      email,
      password,
      userMetadata: body.data ?? {},
      confirmed: autoconfirm,
      provider: "email",
    });
    if (autoconfirm) return json(await issueSession(tx, context, user.id, "password", meta(request)));
    takeMailBudget(context, request, email);
    await sendUserToken(tx, context, user, "signup", { redirectTo, pkce });
    return json(await loadRenderedUser(tx, user.id));
  });
}

const PasswordGrantBody = v.object({ email: optionalString, phone: optionalString, password: optionalString });
const RefreshGrantBody = v.object({ refresh_token: optionalString });
const PkceGrantBody = v.object({ auth_code: optionalString, code_verifier: optionalString });

const invalidLogin = () => badRequest("invalid_credentials", "Invalid login credentials");

async function passwordGrant(request: AuthRequest, context: AuthContext): Promise<Reply> {
  const body = await readBodyAs(request, PasswordGrantBody);
  context.limiter.take("sign_in_sign_ups", request.ip);
  if (body.email && body.phone) {
    throw badRequest("validation_failed", "Only an email address or phone number should be provided on login.");
  }
  if (body.phone) throw unprocessable("phone_provider_disabled", "Phone logins are disabled");
  if (!body.email) throw badRequest("validation_failed", "missing email or phone");
  const user = await findUserByEmail(context.sql, body.email.trim());
  if (!user?.encrypted_password) throw invalidLogin();
  if (isBanned(user)) throw badRequest("user_banned", "User is banned");
  if (!(await passwordMatches(user, body.password ?? ""))) throw invalidLogin();
  if (!isEmailConfirmed(user)) throw badRequest("email_not_confirmed", "Email not confirmed");
  return json(await context.sql.begin((tx) => issueSession(tx, context, user.id, "password", meta(request))));
}

export async function token(request: AuthRequest, context: AuthContext): Promise<Reply> {
  const grantType = request.url.searchParams.get("grant_type");
  switch (grantType) {
    case "password":
      return passwordGrant(request, context);
    case "refresh_token": {
      const body = await readBodyAs(request, RefreshGrantBody);
      context.limiter.take("token_refresh", request.ip);
      if (!body.refresh_token) throw badRequest("validation_failed", "Refresh token is not valid");
      return json(await refreshSession(context, body.refresh_token));
    }
    case "pkce": {
      const body = await readBodyAs(request, PkceGrantBody);
      context.limiter.take("sign_in_sign_ups", request.ip);
      if (!body.auth_code || !body.code_verifier) {
        throw badRequest("validation_failed", "invalid request: both auth code and code verifier should be non-empty");
      }
      return json(await exchangeAuthCode(context, body.auth_code, body.code_verifier, meta(request)));
    }
    case "id_token":
      context.limiter.take("sign_in_sign_ups", request.ip);
      return idTokenGrant(request);
    case "web3":
      return web3Grant();
    default:
      // GoTrue's own answer for an unknown grant, code and all.
      throw badRequest("invalid_credentials", "unsupported_grant_type");
  }
}

export async function getUser(request: AuthRequest, context: AuthContext): Promise<Reply> {
  const who = await authenticate(context, request.headers.authorization);
  return json(await loadRenderedUser(context.sql, who.user.id));
}

const UpdateUserBody = v.object({
  email: optionalString,
  password: optionalString,
  phone: optionalString,
  data: metadata,
  nonce: optionalString,
  code_challenge: optionalString,
  code_challenge_method: optionalString,
});

/** A stolen aal1 session of a user with a second factor must not be able to take the account over. */
async function requireAal2ForCredentials(
  context: AuthContext,
  who: Authenticated,
  body: { email?: string | null; password?: string | null; phone?: string | null },
): Promise<void> {
  if (who.aal === "aal2") return;
  const changesEmail = !!body.email && body.email.trim().toLowerCase() !== (who.user.email ?? "").toLowerCase();
  const changesPhone = !!body.phone && body.phone !== (who.user.phone ?? "");
  if (!body.password && !changesEmail && !changesPhone) return;
  const [verified] = await context.sql`
    select 1 from auth.mfa_factors where user_id = ${who.user.id} and status = 'verified' limit 1`;
  if (verified) {
    throw unauthorized("insufficient_aal", "AAL2 session is required to update email or password when MFA is enabled.");
  }
}

export async function updateUser(request: AuthRequest, context: AuthContext): Promise<Reply> {
  const who = await authenticate(context, request.headers.authorization);
  const body = await readBodyAs(request, UpdateUserBody);
  await requireAal2ForCredentials(context, who, body);
  if (body.phone) throw unprocessable("phone_provider_disabled", "Phone changes are not supported");
  if (who.user.is_anonymous && body.password && !body.email) {
    throw unprocessable("validation_failed", "Updating password of an anonymous user without an email or phone is not allowed");
  }
  const pkce = readPkceParams(body.code_challenge ?? undefined, body.code_challenge_method ?? undefined);
  const user = who.user;
  return context.sql.begin(async (tx) => {
    if (body.password !== undefined && body.password !== null) {
      await checkReauthentication(tx, context, user, who.sessionId, body.nonce);
      checkPasswordStrength(context.config, body.password);
      if (await passwordMatches(user, body.password)) {
        throw unprocessable("same_password", "New password should be different from the old password.");
      }
      await tx`update auth.users set encrypted_password = ${await hashPassword(body.password)}, updated_at = now()
               where id = ${user.id}`;
    }
    if (body.data) {
      const merged = mergeMetadata(user.raw_user_meta_data, body.data);
      await tx`update auth.users set raw_user_meta_data = ${tx.json(asJson(merged))}, updated_at = now()
               where id = ${user.id}`;
    }
    if (body.email) {
      const email = normaliseEmail(body.email);
      if (email !== (user.email ?? "").toLowerCase()) {
        const taken = await findUserByEmail(tx, email);
        if (taken && taken.id !== user.id) {
          throw unprocessable("email_exists", "A user with this email address has already been registered");
        }
        if (user.is_anonymous && !context.config.auth.email.enable_confirmations) {
          // GoTrue lets an anonymous user add an address without a mail when autoconfirm is on.
          await tx`update auth.users set email = ${email}, email_confirmed_at = now(), updated_at = now()
                   where id = ${user.id}`;
          await becomePermanent(tx, user.id, email);
        } else if (!context.config.auth.email.enable_confirmations) {
          await tx`update auth.users set email = ${email}, updated_at = now() where id = ${user.id}`;
          await tx`update auth.identities set identity_data = identity_data || jsonb_build_object('email', ${email}::text)
                   where user_id = ${user.id} and provider = 'email'`;
        } else {
          takeMailBudget(context, request, email);
          await sendEmailChange(tx, context, user, email, { redirectTo: redirectTarget(context.config, request), pkce });
        }
      }
    }
    return json(await loadRenderedUser(tx, user.id));
  });
}

const scopes: readonly LogoutScope[] = ["global", "local", "others"];

export async function signOut(request: AuthRequest, context: AuthContext): Promise<Reply> {
  const who = await authenticate(context, request.headers.authorization);
  const scope = (request.url.searchParams.get("scope") ?? "global") as LogoutScope;
  if (!scopes.includes(scope)) {
    throw badRequest("validation_failed", `Unsupported logout scope ${JSON.stringify(scope)}`);
  }
  await logout(context.sql, who, scope);
  return empty(204);
}
