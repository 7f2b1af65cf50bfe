import { randomUUID } from "node:crypto";
import type { SupabaseClient } from "@supabase/supabase-js";
import { describe, expect, it } from "vitest";
import { authFetch, client, database, decodeJwt, needsDatabase, PASSWORD, signedInClient } from "./support.ts";
import { totp, wrongCode } from "./totp-codes.ts";

async function accessToken(supabase: SupabaseClient): Promise<string> {
  const { data } = await supabase.auth.getSession();
  if (!data.session) throw new Error("no session");
  return data.session.access_token;
}

async function enrollTotp(supabase: SupabaseClient, friendlyName = `app-${randomUUID().slice(0, 8)}`) {
  const { data, error } = await supabase.auth.mfa.enroll({ factorType: "totp", friendlyName });
  if (error) throw error;
  return data;
}

/** A signed-in user with a verified TOTP factor, the client holding the aal2 session. */
async function userWithVerifiedFactor(label: string) {
  const signedIn = await signedInClient(label);
  const factor = await enrollTotp(signedIn.supabase);
  const { error } = await signedIn.supabase.auth.mfa.challengeAndVerify({
    factorId: factor.id,
    code: totp(factor.totp.secret),
  });
  if (error) throw error;
  return { ...signedIn, factor, secret: factor.totp.secret };
}

describe("mfa: enroll", () => {
  it("enrolls an unverified TOTP factor with a secret, an otpauth URI and an SVG QR code", async () => {
    const { supabase, user } = await signedInClient("mfa-enroll");
    const { data, error } = await supabase.auth.mfa.enroll({
      factorType: "totp",
      friendlyName: "phone app",
      issuer: "Example Forum",
    });
    expect(error).toBeNull();
    expect(data?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(data?.type).toBe("totp");
    expect(data?.friendly_name).toBe("phone app");
    const secret = data?.totp.secret ?? "";
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(data?.totp.qr_code.startsWith("data:image/svg+xml;utf-8,")).toBe(true);
    expect(data?.totp.qr_code).toContain("<svg");
    const uri = new URL(data?.totp.uri ?? "");
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.host).toBe("totp");
    expect(decodeURIComponent(uri.pathname)).toBe(`/Example Forum:${user.email}`);
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      secret,
      issuer: "Example Forum",
      algorithm: "SHA1",
      digits: "6",
      period: "30",
    });

    const listed = await supabase.auth.mfa.listFactors();
    expect(listed.error).toBeNull();
    expect(listed.data?.totp).toEqual([]);
    expect(listed.data?.all).toEqual([
      expect.objectContaining({ id: data?.id, status: "unverified", factor_type: "totp", friendly_name: "phone app" }),
    ]);
    const aal = await supabase.auth.mfa.getAuthenticatorAssuranceLevel();
    expect(aal.data).toMatchObject({ currentLevel: "aal1", nextLevel: "aal1" });
  });

  it("defaults the issuer to the site URL's host", async () => {
    const { supabase } = await signedInClient("mfa-issuer");
    const data = await enrollTotp(supabase);
    const issuer = new URL(data.totp.uri).searchParams.get("issuer");
    expect(issuer).toEqual(expect.any(String));
    expect(issuer).not.toBe("");
  });

  it("refuses a second factor with the same friendly name: 422 mfa_factor_name_conflict", async () => {
    const { supabase } = await signedInClient("mfa-name");
    await enrollTotp(supabase, "laptop");
    const { error } = await supabase.auth.mfa.enroll({ factorType: "totp", friendlyName: "laptop" });
    expect(error?.status).toBe(422);
    expect(error?.code).toBe("mfa_factor_name_conflict");
    expect(error?.message).toBe('A factor with the friendly name "laptop" for this user already exists');
  });

  it("refuses more than max_enrolled_factors factors: 422 too_many_enrolled_mfa_factors", async () => {
    const { supabase } = await signedInClient("mfa-max");
    for (let i = 0; i < 10; i++) await enrollTotp(supabase, `factor ${i}`);
    const { error } = await supabase.auth.mfa.enroll({ factorType: "totp", friendlyName: "one too many" });
    expect(error?.status).toBe(422);
    expect(error?.code).toBe("too_many_enrolled_mfa_factors");
  });

  it("refuses a new factor from an aal1 session once a factor is verified: 403 insufficient_aal", async () => {
    const { user } = await userWithVerifiedFactor("mfa-enroll-aal1");
    const aal1 = client();
    await aal1.auth.signInWithPassword({ email: user.email, password: PASSWORD });
    const { error } = await aal1.auth.mfa.enroll({ factorType: "totp", friendlyName: "second" });
    expect(error?.status).toBe(403);
    expect(error?.code).toBe("insufficient_aal");
  });

  it("answers factor types this project has not enabled with GoTrue's codes", async () => {
    const { supabase } = await signedInClient("mfa-phone");
    const phone = await supabase.auth.mfa.enroll({ factorType: "phone", phone: "+15555550100" });
    expect(phone.error?.status).toBe(422);
    expect(phone.error?.code).toBe("mfa_phone_enroll_not_enabled");
    const token = await accessToken(supabase);
    const bogus = await authFetch("/factors", {
      body: { factor_type: "sms" },
      headers: { authorization: `Bearer ${token}` },
    });
    expect(bogus.status).toBe(400);
    expect(bogus.body).toMatchObject({ error_code: "validation_failed" });
  });

  it("needs a signed-in user", async () => {
    const { status, body } = await authFetch("/factors", { body: { factor_type: "totp" } });
    expect(status).toBe(401);
    expect(body).toMatchObject({ error_code: "no_authorization" });
  });
});

describe("mfa: challenge and verify", () => {
  it("verifies a code and upgrades the session to aal2 with totp beside password in amr", async () => {
    const { supabase, session: aal1Session } = await signedInClient("mfa-verify");
    const factor = await enrollTotp(supabase);
    const challenge = await supabase.auth.mfa.challenge({ factorId: factor.id });
    expect(challenge.error).toBeNull();
    expect(challenge.data).toMatchObject({ id: expect.any(String), type: "totp" });
    const issuedAt = decodeJwt(aal1Session.access_token).iat as number;
    expect(challenge.data?.expires_at).toBeGreaterThan(issuedAt + 240);

    const { data, error } = await supabase.auth.mfa.verify({
      factorId: factor.id,
      challengeId: challenge.data?.id ?? "",
      code: totp(factor.totp.secret),
    });
    expect(error).toBeNull();
    expect(data?.refresh_token).not.toBe(aal1Session.refresh_token);
    const claims = decodeJwt(data?.access_token ?? "");
    expect(claims.aal).toBe("aal2");
    expect(claims.session_id).toBe(decodeJwt(aal1Session.access_token).session_id);
    const amr = claims.amr as { method: string; timestamp: number }[];
    expect(amr.map((entry) => entry.method)).toEqual(["totp", "password"]);
    expect(amr[0]?.timestamp).toBeGreaterThanOrEqual(amr[1]?.timestamp ?? Number.POSITIVE_INFINITY);

    const aal = await supabase.auth.mfa.getAuthenticatorAssuranceLevel();
    expect(aal.data).toMatchObject({ currentLevel: "aal2", nextLevel: "aal2" });
    expect(aal.data?.currentAuthenticationMethods).toEqual([
      { method: "totp", timestamp: expect.any(Number) },
      { method: "password", timestamp: expect.any(Number) },
    ]);

    const listed = await supabase.auth.mfa.listFactors();
    expect(listed.data?.totp).toEqual([expect.objectContaining({ id: factor.id, status: "verified" })]);
    const user = await supabase.auth.getUser();
    expect(user.data.user?.factors).toEqual([
      expect.objectContaining({ id: factor.id, status: "verified", factor_type: "totp" }),
    ]);
  });

  it("keeps the aal2 session across a refresh", async () => {
    const { supabase } = await userWithVerifiedFactor("mfa-refresh");
    const { data, error } = await supabase.auth.refreshSession();
    expect(error).toBeNull();
    const claims = decodeJwt(data.session?.access_token ?? "");
    expect(claims.aal).toBe("aal2");
    expect((claims.amr as { method: string }[]).map((entry) => entry.method)).toEqual(["totp", "password"]);
  });

  it("signs a user with a verified factor in at aal1 with aal2 next, and challengeAndVerify steps up", async () => {
    const { user, secret, factor } = await userWithVerifiedFactor("mfa-step-up");
    const supabase = client();
    const signIn = await supabase.auth.signInWithPassword({ email: user.email, password: PASSWORD });
    expect(signIn.error).toBeNull();
    expect(decodeJwt(signIn.data.session?.access_token ?? "")).toMatchObject({
      aal: "aal1",
      amr: [{ method: "password", timestamp: expect.any(Number) }],
    });
    const before = await supabase.auth.mfa.getAuthenticatorAssuranceLevel();
    expect(before.data).toMatchObject({ currentLevel: "aal1", nextLevel: "aal2" });

    const { error } = await supabase.auth.mfa.challengeAndVerify({ factorId: factor.id, code: totp(secret) });
    expect(error).toBeNull();
    const after = await supabase.auth.mfa.getAuthenticatorAssuranceLevel();
    expect(after.data).toMatchObject({ currentLevel: "aal2", nextLevel: "aal2" });
  });

  it("ends the user's other aal1 sessions when a factor is verified", async () => {
    const { supabase, user } = await signedInClient("mfa-other-sessions");
    const other = client();
    await other.auth.signInWithPassword({ email: user.email, password: PASSWORD });
    const factor = await enrollTotp(supabase);
    const verified = await supabase.auth.mfa.challengeAndVerify({ factorId: factor.id, code: totp(factor.totp.secret) });
    expect(verified.error).toBeNull();
    const { error } = await other.auth.refreshSession();
    expect(error?.code).toMatch(/^(session_not_found|refresh_token_not_found)$/);
  });

  it("answers a wrong code with 422 mfa_verification_failed and keeps the challenge usable", async () => {
    const { supabase } = await signedInClient("mfa-wrong");
    const factor = await enrollTotp(supabase);
    const challenge = await supabase.auth.mfa.challenge({ factorId: factor.id });
    const challengeId = challenge.data?.id ?? "";
    const wrong = await supabase.auth.mfa.verify({
      factorId: factor.id,
      challengeId,
      code: wrongCode(totp(factor.totp.secret)),
    });
    expect(wrong.error?.status).toBe(422);
    expect(wrong.error?.code).toBe("mfa_verification_failed");
    expect(wrong.error?.message).toBe("Invalid TOTP code entered");
    const aal = await supabase.auth.mfa.getAuthenticatorAssuranceLevel();
    expect(aal.data?.currentLevel).toBe("aal1");

    const right = await supabase.auth.mfa.verify({ factorId: factor.id, challengeId, code: totp(factor.totp.secret) });
    expect(right.error).toBeNull();
  });

  it("refuses a challenge that was already verified: 422 mfa_ip_address_mismatch", async () => {
    const { supabase, factor, secret } = await userWithVerifiedFactor("mfa-reuse");
    const challenge = await supabase.auth.mfa.challenge({ factorId: factor.id });
    const challengeId = challenge.data?.id ?? "";
    const first = await supabase.auth.mfa.verify({ factorId: factor.id, challengeId, code: totp(secret) });
    expect(first.error).toBeNull();
    const again = await supabase.auth.mfa.verify({ factorId: factor.id, challengeId, code: totp(secret) });
    expect(again.error?.status).toBe(422);
    expect(again.error?.code).toBe("mfa_ip_address_mismatch");
  });

  it.skipIf(needsDatabase)("refuses an expired challenge with 422 mfa_challenge_expired and drops it", async () => {
    const { supabase } = await signedInClient("mfa-expired");
    const factor = await enrollTotp(supabase);
    const challenge = await supabase.auth.mfa.challenge({ factorId: factor.id });
    const challengeId = challenge.data?.id ?? "";
    const sql = database();
    try {
      await sql`update auth.mfa_challenges set created_at = now() - interval '6 minutes' where id = ${challengeId}`;
      const { error } = await supabase.auth.mfa.verify({
        factorId: factor.id,
        challengeId,
        code: totp(factor.totp.secret),
      });
      expect(error?.status).toBe(422);
      expect(error?.code).toBe("mfa_challenge_expired");
      expect(error?.message).toContain(challengeId);
      const left = await sql`select 1 from auth.mfa_challenges where id = ${challengeId}`;
      expect(left).toHaveLength(0);
    } finally {
      await sql.end();
    }
  });

  it("answers unknown factors with 404 mfa_factor_not_found and unknown challenges with 422", async () => {
    const { supabase } = await signedInClient("mfa-unknown");
    const missing = await supabase.auth.mfa.challenge({ factorId: randomUUID() });
    expect(missing.error?.status).toBe(404);
    expect(missing.error?.code).toBe("mfa_factor_not_found");
    expect(missing.error?.message).toBe("Factor not found");

    const someoneElse = await userWithVerifiedFactor("mfa-unknown-owner");
    const foreign = await supabase.auth.mfa.challenge({ factorId: someoneElse.factor.id });
    expect(foreign.error?.status).toBe(404);
    expect(foreign.error?.code).toBe("mfa_factor_not_found");

    const notUuid = await supabase.auth.mfa.challenge({ factorId: "not-a-uuid" });
    expect(notUuid.error?.status).toBe(404);
    expect(notUuid.error?.code).toBe("validation_failed");

    const factor = await enrollTotp(supabase);
    const unknownChallenge = await supabase.auth.mfa.verify({
      factorId: factor.id,
      challengeId: randomUUID(),
      code: totp(factor.totp.secret),
    });
    expect(unknownChallenge.error?.status).toBe(422);
    expect(unknownChallenge.error?.code).toBe("mfa_factor_not_found");

    const challenge = await supabase.auth.mfa.challenge({ factorId: factor.id });
    const empty = await supabase.auth.mfa.verify({ factorId: factor.id, challengeId: challenge.data?.id ?? "", code: "" });
    expect(empty.error?.status).toBe(400);
    expect(empty.error?.code).toBe("validation_failed");
  });
});

describe("mfa: concurrent challenges and verifies of one factor", () => {
  // Every 6th code wrong stays below a limit of 5 wrong codes, so the right ones get through;
  // every 2nd goes beyond it, so a hook that limits wrong codes (an app's MFA verification attempt
  // hook, when the backend has one) signs the user out while the other calls are under way.
  it.each([
    ["every 6th code wrong", 6],
    ["every 2nd code wrong", 2],
  ])(
    "answers every one of 24 concurrent challenge + verify calls from three sessions as GoTrue does, no 5xx (%s)",
    async (_, wrongEvery) => {
      const { user, factor, secret } = await userWithVerifiedFactor("mfa-concurrent");
      // Concurrent challenges of one factor used to deadlock; three aal1 sessions of the user add
      // verifies that delete the other sessions while those sessions' own verifies are under way.
      const sessions = await Promise.all(
        [0, 1, 2].map(async () => {
          const supabase = client();
          const { error } = await supabase.auth.signInWithPassword({ email: user.email, password: PASSWORD });
          if (error) throw error;
          return supabase;
        }),
      );
      const results = await Promise.all(
        Array.from({ length: 24 }, async (_, i) => {
          const supabase = sessions[i % sessions.length] as SupabaseClient;
          const code = i % wrongEvery === wrongEvery - 1 ? wrongCode(totp(secret)) : totp(secret);
          const { error } = await supabase.auth.mfa.challengeAndVerify({ factorId: factor.id, code });
          return error ? { status: error.status, code: error.code ?? error.name } : { status: 200 };
        }),
      );
      const answers = new Set(results.map((result) => `${result.status} ${result.code ?? ""}`.trim()));
      // Success, a wrong code, a session another verify has just ended (auth-js then drops it and
      // refuses that client's later calls itself), or the hook's rejection; never a server failure.
      for (const answer of answers) {
        expect(answer).toMatch(
          /^(200|422 mfa_verification_failed|403 session_not_found|403 mfa_verification_rejected|400 AuthSessionMissingError)$/,
        );
      }
      if (wrongEvery === 6) expect(answers).toContain("200");
    },
  );
});

describe("mfa: unenroll", () => {
  it("refuses to remove a verified factor from an aal1 session: 422 insufficient_aal", async () => {
    const { user, factor } = await userWithVerifiedFactor("mfa-unenroll-aal1");
    const aal1 = client();
    await aal1.auth.signInWithPassword({ email: user.email, password: PASSWORD });
    const { error } = await aal1.auth.mfa.unenroll({ factorId: factor.id });
    expect(error?.status).toBe(422);
    expect(error?.code).toBe("insufficient_aal");
  });

  it("removes an unverified factor from an aal1 session", async () => {
    const { supabase } = await signedInClient("mfa-unenroll-unverified");
    const factor = await enrollTotp(supabase);
    const { data, error } = await supabase.auth.mfa.unenroll({ factorId: factor.id });
    expect(error).toBeNull();
    expect(data).toEqual({ id: factor.id });
    const listed = await supabase.auth.mfa.listFactors();
    expect(listed.data?.all).toEqual([]);
  });

  it("removes a verified factor at aal2, and the session falls back to aal1 on refresh", async () => {
    const { supabase, factor } = await userWithVerifiedFactor("mfa-unenroll");
    const { data, error } = await supabase.auth.mfa.unenroll({ factorId: factor.id });
    expect(error).toBeNull();
    expect(data).toEqual({ id: factor.id });
    const user = await supabase.auth.getUser();
    expect(user.data.user?.factors ?? []).toEqual([]);
    const refreshed = await supabase.auth.refreshSession();
    expect(decodeJwt(refreshed.data.session?.access_token ?? "")).toMatchObject({
      aal: "aal1",
      amr: [{ method: "password", timestamp: expect.any(Number) }],
    });
    const aal = await supabase.auth.mfa.getAuthenticatorAssuranceLevel();
    expect(aal.data).toMatchObject({ currentLevel: "aal1", nextLevel: "aal1" });
  });
});

describe("mfa: credentials need aal2", () => {
  it("refuses a password or email change from an aal1 session once a factor is verified: 401 insufficient_aal", async () => {
    const { supabase: aal2, user } = await userWithVerifiedFactor("mfa-credentials");
    const aal1 = client();
    await aal1.auth.signInWithPassword({ email: user.email, password: PASSWORD });
    const password = await aal1.auth.updateUser({ password: "another-long-password" });
    expect(password.error?.status).toBe(401);
    expect(password.error?.code).toBe("insufficient_aal");
    expect(password.error?.message).toBe("AAL2 session is required to update email or password when MFA is enabled.");
    const email = await aal1.auth.updateUser({ email: `new-${user.email}` });
    expect(email.error?.code).toBe("insufficient_aal");
    const metadata = await aal1.auth.updateUser({ data: { nick: "still allowed" } });
    expect(metadata.error).toBeNull();

    const changed = await aal2.auth.updateUser({ password: "another-long-password" });
    expect(changed.error).toBeNull();
  });
});

describe.skipIf(needsDatabase)("mfa: tables in GoTrue's layout", () => {
  it("records the factor, the challenge, the session's level and both amr claims", async () => {
    const { factor, session } = await userWithVerifiedFactor("mfa-tables");
    const sessionId = decodeJwt(session.access_token).session_id as string;
    const sql = database();
    try {
      const [row] = await sql`select factor_type::text, status::text, secret, friendly_name
                              from auth.mfa_factors where id = ${factor.id}`;
      expect(row).toMatchObject({ factor_type: "totp", status: "verified", secret: factor.totp.secret });
      const challenges = await sql`select verified_at, ip_address::text from auth.mfa_challenges
                                   where factor_id = ${factor.id}`;
      expect(challenges).toHaveLength(1);
      expect(challenges[0]?.verified_at).toBeInstanceOf(Date);
      const [sessionRow] = await sql`select aal::text, factor_id from auth.sessions where id = ${sessionId}`;
      expect(sessionRow).toEqual({ aal: "aal2", factor_id: factor.id });
      const claims = await sql`select authentication_method from auth.mfa_amr_claims
                               where session_id = ${sessionId} order by authentication_method`;
      expect(claims.map((claim) => claim.authentication_method)).toEqual(["password", "totp"]);
    } finally {
      await sql.end();
    }
  });
});
