import { randomUUID } from "node:crypto";
import { isIP } from "node:net";
import * as v from "valibot";
import type { AuthContext } from "./context.ts";
import { type AuthApiError, badRequest, forbidden, notFound, unprocessable } from "./errors.ts";
import { mfaVerificationAttemptHook } from "./hooks.ts";
import { type AuthRequest, json, type Reply, readBodyAs, readParams } from "./http.ts";
import { type Authenticated, authenticate, stepUpSession } from "./sessions.ts";
import { newTotpSecret, otpauthUri, qrSvg, totpMatches } from "./totp.ts";
import type { Db, FactorRow } from "./users.ts";
import { optionalString } from "./validation.ts";

/** GoTrue's fixed windows: a challenge answers for 5 minutes, an unused unverified factor lives 5 minutes. */
const CHALLENGE_EXPIRY_SECONDS = 300;
const FACTOR_EXPIRY_SECONDS = 300;
/** GoTrue's MaxVerifiedFactors, which config.toml cannot change. */
const MAX_VERIFIED_FACTORS = 10;

const uuidShape = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function requireUser(request: AuthRequest, context: AuthContext): Promise<Authenticated> {
  const who = await authenticate(context, request.headers.authorization);
  if (who.claims.is_anonymous) {
    throw forbidden("no_authorization", "Anonymous user not allowed to perform these actions");
  }
  return who;
}

function factorIdOf(request: AuthRequest): string {
  const id = decodeURIComponent(request.path.split("/")[2] ?? "");
  if (!uuidShape.test(id)) throw notFound("validation_failed", "factor_id must be an UUID");
  return id;
}

async function loadOwnedFactor(db: Db, who: Authenticated, id: string): Promise<FactorRow> {
  const [factor] = await db<FactorRow[]>`
    select * from auth.mfa_factors where id = ${id} and user_id = ${who.user.id}`;
  if (!factor) throw notFound("mfa_factor_not_found", "Factor not found");
  return factor;
}

/**
 * Every MFA write starts by taking this lock, so one user's enrolments, challenges, verifies and
 * unenrolments run one after another. Without a single first lock they deadlock: a challenge's
 * insert takes a key-share lock on the factor through the foreign key and its update of
 * `last_challenged_at` (a unique column in GoTrue's schema, so a key update) then needs that
 * factor exclusively; two verifies of one user each step their own session up and then delete
 * the other's aal1 session; an unenrolment locks the factor and then its challenges, a verify the
 * other way round. NO KEY UPDATE leaves the foreign-key checks of new sessions free.
 */
async function lockUser(tx: Db, userId: string): Promise<void> {
  await tx`select id from auth.users where id = ${userId} for no key update`;
}

/** inet refuses anything but an address; a socket without one still gets a comparable value. */
const storedIp = (ip: string) => (isIP(ip) ? ip : "0.0.0.0");

function disabledType(factorType: string, action: "enroll" | "verify"): AuthApiError {
  const label = factorType === "phone" ? "Phone" : "WebAuthn";
  const code = factorType === "phone" ? "phone" : "webauthn";
  const what = action === "enroll" ? "enroll" : "verification";
  return unprocessable(`mfa_${code}_${action}_not_enabled`, `MFA ${what} is disabled for ${label}`);
}

const EnrollBody = v.object({
  factor_type: optionalString,
  friendly_name: optionalString,
  issuer: optionalString,
  phone: optionalString,
});

export async function enrollFactor(request: AuthRequest, context: AuthContext): Promise<Reply> {
  const who = await requireUser(request, context);
  const body = await readBodyAs(request, EnrollBody);
  const factorType = body.factor_type ?? "";
  // Phone and WebAuthn factors are off as in the CLI's template; this server has neither.
  if (factorType === "phone" || factorType === "webauthn") throw disabledType(factorType, "enroll");
  if (factorType !== "totp") {
    throw badRequest("validation_failed", "factor_type needs to be totp, phone, or webauthn");
  }
  const { mfa } = context.config.auth;
  if (!mfa.totp.enroll_enabled) throw unprocessable("mfa_totp_enroll_not_enabled", "MFA enroll is disabled for TOTP");
  const friendlyName = body.friendly_name ?? "";
  const issuer = body.issuer || new URL(context.config.auth.site_url).host;

  return context.sql.begin(async (tx) => {
    // Also serialises concurrent enrolments of one user, so the counts below stay true.
    await lockUser(tx, who.user.id);
    await tx`
      delete from auth.mfa_factors f
      where f.status <> 'verified'
        and not exists (select 1 from auth.mfa_challenges c where c.factor_id = f.id)
        and f.created_at + make_interval(secs => ${FACTOR_EXPIRY_SECONDS}) < now()`;
    const factors = await tx<FactorRow[]>`select * from auth.mfa_factors where user_id = ${who.user.id}`;
    if (factors.some((factor) => (factor.friendly_name ?? "") === friendlyName)) {
      throw unprocessable(
        "mfa_factor_name_conflict",
        `A factor with the friendly name ${JSON.stringify(friendlyName)} for this user already exists`,
      );
    }
    const verified = factors.filter((factor) => factor.status === "verified").length;
    if (factors.length >= mfa.max_enrolled_factors || verified >= MAX_VERIFIED_FACTORS) {
      throw unprocessable("too_many_enrolled_mfa_factors", "Maximum number of verified factors reached, unenroll to continue");
    }
    if (verified > 0 && who.aal !== "aal2") {
      throw forbidden("insufficient_aal", "AAL2 required to enroll a new factor");
    }
    const secret = newTotpSecret();
    const uri = otpauthUri(issuer, who.user.email ?? "", secret);
    const id = randomUUID();
    await tx`
      insert into auth.mfa_factors (id, user_id, friendly_name, factor_type, status, created_at, updated_at, secret)
      values (${id}, ${who.user.id}, ${friendlyName}, 'totp', 'unverified', now(), now(), ${secret})`;
    return json({ id, type: "totp", friendly_name: friendlyName, totp: { qr_code: qrSvg(uri), secret, uri } });
  });
}

function checkVerifyEnabled(context: AuthContext, factor: FactorRow): void {
  if (factor.factor_type !== "totp") throw disabledType(factor.factor_type, "verify");
  if (!context.config.auth.mfa.totp.verify_enabled) {
    throw unprocessable("mfa_totp_verify_not_enabled", "MFA verification is disabled for TOTP");
  }
}

export async function challengeFactor(request: AuthRequest, context: AuthContext): Promise<Reply> {
  const who = await requireUser(request, context);
  const factor = await loadOwnedFactor(context.sql, who, factorIdOf(request));
  await readParams(request);
  checkVerifyEnabled(context, factor);
  const id = randomUUID();
  const createdAt = await context.sql.begin(async (tx) => {
    await lockUser(tx, who.user.id);
    const [row] = await tx<{ created_at: Date }[]>`
      insert into auth.mfa_challenges (id, factor_id, created_at, ip_address)
      values (${id}, ${factor.id}, now(), ${storedIp(request.ip)}) returning created_at`;
    await tx`update auth.mfa_factors set last_challenged_at = now() where id = ${factor.id}`;
    return (row as { created_at: Date }).created_at;
  });
  return json({
    id,
    type: "totp",
    expires_at: Math.floor(createdAt.getTime() / 1000) + CHALLENGE_EXPIRY_SECONDS,
  });
}

const VerifyBody = v.object({ challenge_id: optionalString, code: optionalString });

interface ChallengeRow {
  id: string;
  created_at: Date;
  verified_at: Date | null;
  same_ip: boolean;
}

function checkChallenge(challenge: ChallengeRow | undefined): asserts challenge is ChallengeRow {
  if (!challenge) {
    throw unprocessable("mfa_factor_not_found", "MFA factor with the provided challenge ID not found");
  }
  // GoTrue answers a challenge already used with the IP mismatch error, whatever the IP.
  if (challenge.verified_at !== null || !challenge.same_ip) {
    throw unprocessable("mfa_ip_address_mismatch", "Challenge and verify IP addresses mismatch.");
  }
}

export async function verifyFactor(request: AuthRequest, context: AuthContext): Promise<Reply> {
  const who = await requireUser(request, context);
  const factor = await loadOwnedFactor(context.sql, who, factorIdOf(request));
  const body = await readBodyAs(request, VerifyBody);
  if (!body.code) throw badRequest("validation_failed", "Code needs to be non-empty");
  checkVerifyEnabled(context, factor);
  const challengeId = body.challenge_id ?? "";
  if (!uuidShape.test(challengeId)) {
    throw badRequest("bad_json", "Could not parse request body as JSON: challenge_id must be an UUID");
  }
  const code = body.code;
  const ip = storedIp(request.ip);

  // GoTrue's order: the challenge, then the code, then the hook, which sees every code checked,
  // right or wrong, and can refuse even a right one.
  const [challenge] = await context.sql<ChallengeRow[]>`
    select id, created_at, verified_at, ip_address = ${ip}::inet as same_ip
    from auth.mfa_challenges where id = ${challengeId} and factor_id = ${factor.id}`;
  checkChallenge(challenge);
  if (challenge.created_at.getTime() + CHALLENGE_EXPIRY_SECONDS * 1000 < Date.now()) {
    await context.sql`delete from auth.mfa_challenges where id = ${challenge.id}`;
    throw unprocessable(
      "mfa_challenge_expired",
      `MFA challenge ${challenge.id} has expired, verify against another challenge or create a new challenge.`,
    );
  }
  const valid = totpMatches(factor.secret ?? "", code, Date.now());
  const hook = await mfaVerificationAttemptHook(context, {
    userId: who.user.id,
    factorId: factor.id,
    factorType: factor.factor_type,
    valid,
    ip: request.ip,
  });
  if (hook) {
    await context.sql.begin(async (tx) => {
      await lockUser(tx, who.user.id);
      await tx`delete from auth.sessions where user_id = ${who.user.id}`;
    });
    throw forbidden("mfa_verification_rejected", hook.rejected);
  }
  if (!valid) throw unprocessable("mfa_verification_failed", "Invalid TOTP code entered");

  const session = await context.sql.begin(async (tx) => {
    await lockUser(tx, who.user.id);
    // A verify of another session may have ended this one (aal1) while the request waited for
    // the lock: answer as GoTrue answers a request that arrives after that.
    const sessionId = who.sessionId;
    const [live] = sessionId ? await tx`select id from auth.sessions where id = ${sessionId} for no key update` : [];
    if (!sessionId || !live) throw forbidden("session_not_found", "Session from session_id claim in JWT does not exist");
    // Checked again under the lock: a concurrent verify of the same challenge has used it.
    const [locked] = await tx<ChallengeRow[]>`
      select id, created_at, verified_at, ip_address = ${ip}::inet as same_ip
      from auth.mfa_challenges where id = ${challenge.id} for update`;
    checkChallenge(locked);
    await tx`update auth.mfa_challenges set verified_at = now() where id = ${challenge.id}`;
    if (factor.status !== "verified") {
      await tx`update auth.mfa_factors set status = 'verified', updated_at = now() where id = ${factor.id}`;
    }
    const stepped = await stepUpSession(tx, context, sessionId, factor.id, "totp");
    // As GoTrue: every other session of the user still at aal1 ends, and the other unverified
    // TOTP factors (abandoned enrolments) go.
    await tx`delete from auth.sessions where user_id = ${who.user.id} and aal < 'aal2'`;
    await tx`delete from auth.mfa_factors
             where user_id = ${who.user.id} and status = 'unverified' and factor_type = 'totp'`;
    return stepped;
  });
  return json(session);
}

export async function unenrollFactor(request: AuthRequest, context: AuthContext): Promise<Reply> {
  const who = await requireUser(request, context);
  const factor = await loadOwnedFactor(context.sql, who, factorIdOf(request));
  if (factor.status === "verified" && who.aal !== "aal2") {
    throw unprocessable("insufficient_aal", "AAL2 required to unenroll verified factor");
  }
  await context.sql.begin(async (tx) => {
    await lockUser(tx, who.user.id);
    await tx`delete from auth.mfa_factors where id = ${factor.id}`;
    // Sessions that passed this factor fall back to what their first factor proved.
    await tx`delete from auth.mfa_amr_claims
             where authentication_method = 'totp'
               and session_id in (select id from auth.sessions where factor_id = ${factor.id})`;
    await tx`update auth.sessions set aal = 'aal1', factor_id = null, updated_at = now()
             where user_id = ${who.user.id} and factor_id = ${factor.id}`;
  });
  return json({ id: factor.id });
}
