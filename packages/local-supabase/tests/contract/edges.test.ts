import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fixtureConfig } from "../fixture.ts";
import { adminClient, authFetch, backend, client, onlyEmbedded, PASSWORD, signedInClient } from "./support.ts";

/** The project's config.toml, which `supabase start` reads too. */
const project = fixtureConfig();
const versioned = { "x-supabase-api-version": "2024-01-01" };

describe("email addresses: GoTrue's format rule", () => {
  it("refuses a:;b@x.y with 400 validation_failed", async () => {
    const response = await authFetch("/signup", {
      body: { email: "a:;b@x.y", password: PASSWORD },
      headers: versioned,
    });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      code: "validation_failed",
      message: "Unable to validate email address: invalid format",
    });
  });

  it("accepts a host without a dot, user@localhost", async () => {
    const email = `edge-${randomBytes(4).toString("hex")}@localhost`;
    const { data, error } = await adminClient().auth.admin.createUser({ email, password: PASSWORD, email_confirm: true });
    expect(error).toBeNull();
    expect(data.user?.email).toBe(email);
    await adminClient().auth.admin.deleteUser(data.user?.id ?? "");
  });

  it("an empty address is 'An email address is required'", async () => {
    const response = await authFetch("/otp", { body: { email: "" }, headers: versioned });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: "validation_failed" });
  });
});

describe("GET /admin/users pagination: GoTrue's parsing", () => {
  const admin = { apikey: backend.secretKey, authorization: `Bearer ${backend.secretKey}`, ...versioned };

  for (const query of ["page=-1", "per_page=-5", "page=abc", "per_page=1.5"]) {
    it(`${query}: 400 validation_failed "Bad Pagination Parameters"`, async () => {
      const response = await authFetch(`/admin/users?${query}`, { headers: admin });
      expect(response.status).toBe(400);
      const body = response.body as { code: string; message: string };
      expect(body.code).toBe("validation_failed");
      expect(body.message).toMatch(/^Bad Pagination Parameters: /);
    });
  }

  // GoTrue divides by it and fails with a 500; the embedded backend refuses it instead.
  it.skipIf(onlyEmbedded)("embedded: per_page=0 is a 400, not a crash", async () => {
    const response = await authFetch("/admin/users?per_page=0", { headers: admin });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: "validation_failed" });
  });

  it("no cap on per_page: the links keep what was asked", async () => {
    const response = await authFetch("/admin/users?page=1&per_page=1500", { headers: admin });
    expect(response.status).toBe(200);
    expect(response.headers.get("link")).toContain("per_page=1500");
  });
});

describe("features that are off answer with GoTrue's codes", () => {
  it.skipIf(project.auth.enable_anonymous_sign_ins)("anonymous sign-in off: 422 anonymous_provider_disabled", async () => {
    const { data, error } = await client().auth.signInAnonymously();
    expect(data.session).toBeNull();
    expect(error?.status).toBe(422);
    expect(error?.code).toBe("anonymous_provider_disabled");
    expect(error?.message).toBe("Anonymous sign-ins are disabled");
  });

  it("SSO: 404 saml_provider_disabled", async () => {
    const { error } = await client().auth.signInWithSSO({ domain: "example.com" });
    expect(error?.status).toBe(404);
    expect(error?.code).toBe("saml_provider_disabled");
    const metadata = await authFetch("/sso/saml/metadata", { headers: versioned });
    expect(metadata.status).toBe(404);
    expect(metadata.body).toEqual({ code: "saml_provider_disabled", message: "SAML 2.0 is disabled" });
  });

  it("manual linking: 401 without a session, 404 manual_linking_disabled with one", async () => {
    const anonymous = await authFetch("/user/identities/authorize?provider=github", { headers: versioned });
    expect(anonymous.status).toBe(401);
    const { supabase, session } = await signedInClient("linking");
    const linked = await supabase.auth.linkIdentity({ provider: "github", options: { skipBrowserRedirect: true } });
    expect(linked.error?.status).toBe(404);
    expect(linked.error?.code).toBe("manual_linking_disabled");
    const identity = session.user.identities?.[0];
    expect(identity).toBeDefined();
    const unlinked = await authFetch(`/user/identities/${identity?.identity_id}`, {
      method: "DELETE",
      headers: { ...versioned, authorization: `Bearer ${session.access_token}` },
    });
    expect(unlinked.status).toBe(404);
    expect(unlinked.body).toEqual({ code: "manual_linking_disabled", message: "Manual linking is disabled" });
  });

  it("web3: 422 web3_provider_disabled", async () => {
    const response = await authFetch("/token?grant_type=web3", {
      body: { chain: "solana", message: "hello", signature: "c2ln" },
      headers: versioned,
    });
    expect(response.status).toBe(422);
    expect(response.body).toEqual({ code: "web3_provider_disabled", message: "Web3 provider is disabled" });
  });

  it("ID-token grant for a provider that is off: 400 provider_disabled", async () => {
    const { error } = await client().auth.signInWithIdToken({ provider: "google", token: "not.a.token" });
    expect(error?.status).toBe(400);
    expect(error?.code).toBe("provider_disabled");
    expect(error?.message).toBe('Provider (issuer "https://accounts.google.com") is not enabled');
  });

  it("phone: GoTrue's answers for sign-up, password sign-in and OTP", async () => {
    const signUp = await client().auth.signUp({ phone: "+15555550100", password: PASSWORD });
    expect(signUp.error?.status).toBe(400);
    expect(signUp.error?.code).toBe("phone_provider_disabled");
    expect(signUp.error?.message).toBe("Phone signups are disabled");
    const signIn = await client().auth.signInWithPassword({ phone: "+15555550100", password: PASSWORD });
    expect(signIn.error?.status).toBe(422);
    expect(signIn.error?.code).toBe("phone_provider_disabled");
    expect(signIn.error?.message).toBe("Phone logins are disabled");
    const otp = await client().auth.signInWithOtp({ phone: "+15555550100" });
    expect(otp.error?.status).toBe(400);
    expect(otp.error?.code).toBe("phone_provider_disabled");
    expect(otp.error?.message).toBe("Unsupported phone provider");
  });
});

describe("rate limits as `supabase start` applies them", () => {
  // The CLI gives GoTrue no header to key per-IP limits on, so [auth.rate_limit] buckets other
  // than email_sent never trigger locally.
  const limit = project.auth.rate_limit.sign_in_sign_ups ?? 30;

  it(`more than sign_in_sign_ups (${limit}) sign-in attempts from one IP are all answered`, async () => {
    const attempt = () =>
      authFetch("/token?grant_type=password", {
        body: { email: "rate-limit-probe@example.com", password: "not-the-password" },
        headers: versioned,
      });
    const statuses = new Set<number>();
    const workers = 8;
    let remaining = limit + 1;
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (remaining > 0) {
          remaining--;
          statuses.add((await attempt()).status);
        }
      }),
    );
    expect([...statuses]).toEqual([400]);
  });
});
