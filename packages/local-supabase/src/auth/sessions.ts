import { randomUUID } from "node:crypto";
import type { AuthContext } from "./context.ts";
import { badRequest, forbidden, unauthorized } from "./errors.ts";
import {
  type AccessTokenClaims,
  type AmrEntry,
  newRefreshToken,
  refreshTokenShape,
  signAccessToken,
  verifyAccessToken,
} from "./tokens.ts";
import {
  type Db,
  factorsOf,
  findUserById,
  identitiesOf,
  isBanned,
  NIL_UUID,
  type RenderedUser,
  renderUser,
  type UserRow,
} from "./users.ts";

/** Authentication methods as GoTrue records them in auth.mfa_amr_claims and flow_state. */
export type AuthMethod =
  "password" | "otp" | "oauth" | "magiclink" | "recovery" | "invite" | "email/signup" | "email_change" | "totp" | "anonymous";

export interface SessionResponse {
  access_token: string;
  token_type: "bearer";
  expires_in: number;
  expires_at: number;
  refresh_token: string;
  user: RenderedUser;
}

interface SessionRow {
  id: string;
  user_id: string;
  aal: string | null;
}

interface RefreshTokenRow {
  id: string;
  token: string;
  user_id: string;
  revoked: boolean;
  parent: string | null;
  session_id: string | null;
  updated_at: Date;
}

async function amrOf(db: Db, sessionId: string): Promise<AmrEntry[]> {
  const rows = await db<{ authentication_method: string; updated_at: Date }[]>`
    select authentication_method, updated_at from auth.mfa_amr_claims
    where session_id = ${sessionId} order by updated_at desc`;
  return rows.map((row) => ({
    method: row.authentication_method,
    timestamp: Math.floor(row.updated_at.getTime() / 1000),
  }));
}

/** Claims come from the current rows every time, so SQL edits to app_metadata show up on the next refresh. */
async function buildResponse(
  db: Db,
  context: AuthContext,
  user: UserRow,
  session: SessionRow,
  refreshToken: string,
): Promise<SessionResponse> {
  const now = Math.floor(Date.now() / 1000);
  const expiresIn = context.config.auth.jwt_expiry;
  const claims: AccessTokenClaims = {
    iss: context.issuer,
    sub: user.id,
    aud: user.aud || "authenticated",
    exp: now + expiresIn,
    iat: now,
    email: user.email ?? "",
    phone: user.phone ?? "",
    app_metadata: user.raw_app_meta_data ?? {},
    user_metadata: user.raw_user_meta_data ?? {},
    role: user.role || "authenticated",
    aal: session.aal ?? "aal1",
    amr: await amrOf(db, session.id),
    session_id: session.id,
    is_anonymous: user.is_anonymous,
  };
  return {
    access_token: await signAccessToken(context.keys, claims),
    token_type: "bearer",
    expires_in: expiresIn,
    expires_at: claims.exp,
    refresh_token: refreshToken,
    user: renderUser(user, await identitiesOf(db, user.id), await factorsOf(db, user.id)),
  };
}

/** Starts a session for a signed-in user: session row, first refresh token, amr claim. */
export async function issueSession(
  db: Db,
  context: AuthContext,
  userId: string,
  method: AuthMethod,
  meta: { userAgent?: string; ip?: string } = {},
): Promise<SessionResponse> {
  const sessionId = randomUUID();
  const token = newRefreshToken();
  const [session] = await db<SessionRow[]>`
    insert into auth.sessions (id, user_id, created_at, updated_at, aal, refreshed_at, user_agent, ip)
    values (${sessionId}, ${userId}, now(), now(), 'aal1', now(), ${meta.userAgent ?? null}, ${meta.ip ?? null})
    returning id, user_id, aal`;
  await db`
    insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
    values (${NIL_UUID}, ${token}, ${userId}, false, now(), now(), null, ${sessionId})`;
  await db`
    insert into auth.mfa_amr_claims (session_id, created_at, updated_at, authentication_method, id)
    values (${sessionId}, now(), now(), ${method}, ${randomUUID()})`;
  const [user] = await db<UserRow[]>`
    update auth.users set last_sign_in_at = now(), updated_at = now() where id = ${userId} returning *`;
  await db`update auth.identities set last_sign_in_at = now() where user_id = ${userId}`;
  return buildResponse(db, context, user as UserRow, session as SessionRow, token);
}

type RefreshOutcome = { ok: SessionResponse } | { reused: true };

/**
 * GoTrue's refresh rules. Row locks serialise concurrent refreshes of one token: the second waits,
 * then sees the token revoked with the fresh child active and gets that child back.
 */
export async function refreshSession(context: AuthContext, refreshToken: string): Promise<SessionResponse> {
  if (!refreshTokenShape.test(refreshToken)) {
    throw badRequest("validation_failed", "Refresh token is not valid");
  }
  const reuseIntervalMs = context.config.auth.refresh_token_reuse_interval * 1000;
  const rotation = context.config.auth.enable_refresh_token_rotation;
  const outcome = await context.sql.begin(async (tx): Promise<RefreshOutcome> => {
    const [token] = await tx<RefreshTokenRow[]>`
      select id, token, user_id, revoked, parent, session_id, updated_at
      from auth.refresh_tokens where token = ${refreshToken} for update`;
    if (!token) throw badRequest("refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
    const [session] = token.session_id
      ? await tx<SessionRow[]>`select id, user_id, aal from auth.sessions where id = ${token.session_id} for update`
      : [];
    if (!session) throw badRequest("session_not_found", "Invalid Refresh Token: No Valid Session Found");
    const user = await findUserById(tx, session.user_id);
    if (!user) throw badRequest("refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
    if (isBanned(user)) throw badRequest("user_banned", "Invalid Refresh Token: User Banned");

    let issued: string | undefined;
    if (token.revoked) {
      const [active] = await tx<RefreshTokenRow[]>`
        select token, parent from auth.refresh_tokens
        where session_id = ${session.id} and revoked = false order by id desc limit 1`;
      if (active && active.parent === token.token) {
        // The client lost the answer to its previous refresh: hand back what it missed.
        issued = active.token;
      } else if (Date.now() > token.updated_at.getTime() + reuseIntervalMs) {
        if (rotation) {
          await tx`update auth.refresh_tokens set revoked = true, updated_at = now()
                   where session_id = ${session.id} and revoked = false`;
        }
        // Returned, not thrown: the family revocation must commit before the error is answered.
        return { reused: true };
      }
    }
    if (!issued) {
      issued = newRefreshToken();
      await tx`update auth.refresh_tokens set revoked = true, updated_at = now() where id = ${token.id}`;
      await tx`
        insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
        values (${NIL_UUID}, ${issued}, ${user.id}, false, now(), now(), ${token.token}, ${session.id})`;
    }
    await tx`update auth.sessions set refreshed_at = now(), updated_at = now() where id = ${session.id}`;
    return { ok: await buildResponse(tx, context, user, session, issued) };
  });
  if ("reused" in outcome) {
    throw badRequest("refresh_token_already_used", "Invalid Refresh Token: Already Used");
  }
  return outcome.ok;
}

export interface Authenticated {
  user: UserRow;
  sessionId: string | undefined;
  /** The session row's level, which GoTrue trusts over the token's `aal` claim. */
  aal: string;
  claims: AccessTokenClaims;
}

export function bearerToken(header: string | undefined): string {
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header ?? "");
  if (!match?.[1]) throw unauthorized("no_authorization", "This endpoint requires a valid Bearer token");
  return match[1];
}

/** A user route's bearer: a valid access token whose user and session still exist. */
export async function authenticate(context: AuthContext, authorization: string | undefined): Promise<Authenticated> {
  const claims = await verifyAccessToken(context.keys, bearerToken(authorization));
  if (!claims.sub) throw forbidden("bad_jwt", "invalid claim: missing sub claim");
  const user = await findUserById(context.sql, claims.sub);
  if (!user) throw forbidden("user_not_found", "User from sub claim in JWT does not exist");
  let sessionId: string | undefined;
  let aal = "aal1";
  if (claims.session_id && claims.session_id !== NIL_UUID) {
    const [session] = await context.sql<SessionRow[]>`
      select id, user_id, aal from auth.sessions where id = ${claims.session_id}`;
    if (!session) throw forbidden("session_not_found", "Session from session_id claim in JWT does not exist");
    sessionId = session.id;
    aal = session.aal ?? "aal1";
  }
  if (isBanned(user)) throw forbidden("user_banned", "User is banned");
  return { user, sessionId, aal, claims };
}

/**
 * A second factor passed: the method joins the session's amr (its timestamp renewed), the session
 * becomes aal2 and remembers the factor, and, as GoTrue does, the refresh token is swapped so only
 * the client that passed the factor holds a token of the upgraded session.
 */
export async function stepUpSession(
  tx: Db,
  context: AuthContext,
  sessionId: string,
  factorId: string,
  method: AuthMethod,
): Promise<SessionResponse> {
  await tx`
    insert into auth.mfa_amr_claims (session_id, created_at, updated_at, authentication_method, id)
    values (${sessionId}, now(), now(), ${method}, ${randomUUID()})
    on conflict (session_id, authentication_method) do update set updated_at = now()`;
  const [session] = await tx<SessionRow[]>`
    update auth.sessions set aal = 'aal2', factor_id = ${factorId}, updated_at = now()
    where id = ${sessionId} returning id, user_id, aal`;
  if (!session) throw forbidden("session_not_found", "Session from session_id claim in JWT does not exist");
  const user = await findUserById(tx, session.user_id);
  if (!user) throw forbidden("user_not_found", "User from sub claim in JWT does not exist");
  const [current] = await tx<{ id: string; token: string }[]>`
    select id, token from auth.refresh_tokens
    where session_id = ${sessionId} and revoked = false order by id desc limit 1 for update`;
  if (current) {
    await tx`update auth.refresh_tokens set revoked = true, updated_at = now() where id = ${current.id}`;
  }
  const issued = newRefreshToken();
  await tx`
    insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
    values (${NIL_UUID}, ${issued}, ${user.id}, false, now(), now(), ${current?.token ?? null}, ${sessionId})`;
  return buildResponse(tx, context, user, session, issued);
}

export type LogoutScope = "global" | "local" | "others";

export async function logout(db: Db, who: Authenticated, scope: LogoutScope): Promise<void> {
  if (scope === "global" || !who.sessionId) {
    await db`delete from auth.sessions where user_id = ${who.user.id}`;
    await db`update auth.refresh_tokens set revoked = true, updated_at = now()
             where user_id = ${who.user.id} and session_id is null`;
  } else if (scope === "local") {
    await db`delete from auth.sessions where id = ${who.sessionId}`;
  } else {
    await db`delete from auth.sessions where user_id = ${who.user.id} and id <> ${who.sessionId}`;
  }
}
