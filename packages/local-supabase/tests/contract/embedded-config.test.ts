import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Backend, startBackend } from "../../src/backend.ts";
import { fixtureConfig } from "../fixture.ts";
import { freePort } from "../../src/free-port.ts";
import { backend, onlyEmbedded, PASSWORD, uniqueEmail } from "./support.ts";
import { clientOf, startVariant } from "./variant.ts";

describe.skipIf(onlyEmbedded)("embedded: autoconfirm on (enable_confirmations = false)", () => {
  let variant: Awaited<ReturnType<typeof startVariant>>;
  beforeAll(async () => {
    variant = await startVariant((config) => {
      config.auth.email.enable_confirmations = false;
    });
  });
  afterAll(async () => {
    await variant?.stop();
  });

  it("signup returns a session, and a second signup is 422 user_already_exists", async () => {
    const supabase = clientOf(variant.backend);
    const email = uniqueEmail("autoconfirm");
    const { data, error } = await supabase.auth.signUp({ email, password: PASSWORD });
    expect(error).toBeNull();
    expect(data.session?.access_token).toEqual(expect.any(String));
    expect(data.user?.email_confirmed_at).toBeTruthy();
    const again = await clientOf(variant.backend).auth.signUp({ email, password: PASSWORD });
    expect(again.error?.status).toBe(422);
    expect(again.error?.code).toBe("user_already_exists");
  });

  it("keeps its keys across a restart with the same state folder", async () => {
    const stateDir = await mkdtemp(join(tmpdir(), "sss-contract-keys-"));
    const options = { databaseUrl: backend.databaseUrl, config: fixtureConfig(), stateDir };
    const first = await startBackend({ ...options, apiPort: await freePort(), mailPort: await freePort() });
    await first.stop();
    const second = await startBackend({ ...options, apiPort: await freePort(), mailPort: await freePort() });
    await second.stop();
    await rm(stateDir, { recursive: true, force: true });
    expect(second.publishableKey).toBe(first.publishableKey);
    expect(second.secretKey).toBe(first.secretKey);
  });
});

describe.skipIf(onlyEmbedded)("embedded, rateLimits: 'hosted': [auth.rate_limit] per IP and max_frequency", () => {
  let variant: Awaited<ReturnType<typeof startVariant>>;
  beforeAll(async () => {
    variant = await startVariant(
      (config) => {
        config.auth.rate_limit = { sign_in_sign_ups: 2, token_refresh: 1, token_verifications: 1, email_sent: 100 };
        config.auth.email.max_frequency = "60s";
      },
      { rateLimits: "hosted" },
    );
  });
  afterAll(async () => {
    await variant?.stop();
  });

  it("sign-ins past sign_in_sign_ups are 429 over_request_rate_limit", async () => {
    const attempts = [];
    for (let i = 0; i < 3; i++) {
      attempts.push(await clientOf(variant.backend).auth.signInWithPassword({ email: uniqueEmail("limit"), password: PASSWORD }));
    }
    expect(attempts[0]?.error?.code).toBe("invalid_credentials");
    expect(attempts[2]?.error?.status).toBe(429);
    expect(attempts[2]?.error?.code).toBe("over_request_rate_limit");
  });

  it("refreshes past token_refresh and verifications past token_verifications are 429", async () => {
    const refresh = () => clientOf(variant.backend).auth.refreshSession({ refresh_token: "abcdefghijkl" });
    expect((await refresh()).error?.code).toBe("refresh_token_not_found");
    expect((await refresh()).error?.code).toBe("over_request_rate_limit");
    const verify = () => clientOf(variant.backend).auth.verifyOtp({ token_hash: "deadbeef", type: "magiclink" });
    expect((await verify()).error?.code).toBe("otp_expired");
    expect((await verify()).error?.code).toBe("over_request_rate_limit");
  });

  it("a second mail to one address within max_frequency is 429 over_email_send_rate_limit", async () => {
    const admin = clientOf(variant.backend, variant.backend.secretKey).auth.admin;
    const email = uniqueEmail("frequency");
    await admin.createUser({ email, password: PASSWORD, email_confirm: true });
    const first = await clientOf(variant.backend).auth.resetPasswordForEmail(email);
    expect(first.error).toBeNull();
    const second = await clientOf(variant.backend).auth.resetPasswordForEmail(email);
    expect(second.error?.status).toBe(429);
    expect(second.error?.code).toBe("over_email_send_rate_limit");
  });
});

describe.skipIf(onlyEmbedded)("embedded, default rateLimits: as `supabase start`", () => {
  let variant: Awaited<ReturnType<typeof startVariant>>;
  beforeAll(async () => {
    variant = await startVariant((config) => {
      config.auth.rate_limit = { sign_in_sign_ups: 1, token_refresh: 1, token_verifications: 1, email_sent: 1 };
      config.auth.email.max_frequency = "60s";
    });
  });
  afterAll(async () => {
    await variant?.stop();
  });

  it("no per-IP bucket applies, whatever [auth.rate_limit] says", async () => {
    for (let i = 0; i < 3; i++) {
      const signIn = await clientOf(variant.backend).auth.signInWithPassword({
        email: uniqueEmail("nolimit"),
        password: PASSWORD,
      });
      expect(signIn.error?.code).toBe("invalid_credentials");
      const refresh = await clientOf(variant.backend).auth.refreshSession({ refresh_token: "abcdefghijkl" });
      expect(refresh.error?.code).toBe("refresh_token_not_found");
    }
  });

  it("email_sent is the CLI's raised figure, not config.toml's; max_frequency still holds", async () => {
    const admin = clientOf(variant.backend, variant.backend.secretKey).auth.admin;
    const first = uniqueEmail("mail-one");
    const second = uniqueEmail("mail-two");
    for (const email of [first, second]) await admin.createUser({ email, password: PASSWORD, email_confirm: true });
    expect((await clientOf(variant.backend).auth.resetPasswordForEmail(first)).error).toBeNull();
    expect((await clientOf(variant.backend).auth.resetPasswordForEmail(second)).error).toBeNull();
    const again = await clientOf(variant.backend).auth.resetPasswordForEmail(first);
    expect(again.error?.code).toBe("over_email_send_rate_limit");
  });
});

describe.skipIf(onlyEmbedded)("embedded: [auth.mfa] limits and TOTP switched off", () => {
  let enrollOff: Awaited<ReturnType<typeof startVariant>>;
  let verifyOff: Awaited<ReturnType<typeof startVariant>>;
  beforeAll(async () => {
    enrollOff = await startVariant((config) => {
      config.auth.mfa.totp.enroll_enabled = false;
    });
    verifyOff = await startVariant((config) => {
      config.auth.mfa.max_enrolled_factors = 1;
      config.auth.mfa.totp.verify_enabled = false;
    });
  });
  afterAll(async () => {
    await enrollOff?.stop();
    await verifyOff?.stop();
  });

  async function signedIn(server: Backend) {
    const admin = clientOf(server, server.secretKey).auth.admin;
    const email = uniqueEmail("mfa-config");
    await admin.createUser({ email, password: PASSWORD, email_confirm: true });
    const supabase = clientOf(server);
    const { error } = await supabase.auth.signInWithPassword({ email, password: PASSWORD });
    if (error) throw error;
    return supabase;
  }

  it("enroll_enabled = false answers 422 mfa_totp_enroll_not_enabled", async () => {
    const supabase = await signedIn(enrollOff.backend);
    const { error } = await supabase.auth.mfa.enroll({ factorType: "totp" });
    expect(error?.status).toBe(422);
    expect(error?.code).toBe("mfa_totp_enroll_not_enabled");
    expect(error?.message).toBe("MFA enroll is disabled for TOTP");
  });

  it("verify_enabled = false answers challenges and verifications with 422 mfa_totp_verify_not_enabled", async () => {
    const supabase = await signedIn(verifyOff.backend);
    const enrolled = await supabase.auth.mfa.enroll({ factorType: "totp" });
    expect(enrolled.error).toBeNull();
    const factorId = enrolled.data?.id ?? "";
    const challenge = await supabase.auth.mfa.challenge({ factorId });
    expect(challenge.error?.status).toBe(422);
    expect(challenge.error?.code).toBe("mfa_totp_verify_not_enabled");
    const verify = await supabase.auth.mfa.verify({ factorId, challengeId: crypto.randomUUID(), code: "123456" });
    expect(verify.error?.code).toBe("mfa_totp_verify_not_enabled");
  });

  it("max_enrolled_factors counts unverified factors too", async () => {
    const supabase = await signedIn(verifyOff.backend);
    expect((await supabase.auth.mfa.enroll({ factorType: "totp", friendlyName: "one" })).error).toBeNull();
    const { error } = await supabase.auth.mfa.enroll({ factorType: "totp", friendlyName: "two" });
    expect(error?.status).toBe(422);
    expect(error?.code).toBe("too_many_enrolled_mfa_factors");
  });
});
