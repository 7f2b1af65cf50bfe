import { describe, expect, it } from "vitest";
import {
  adminClient,
  authFetch,
  backend,
  client,
  createConfirmedUser,
  decodeJwt,
  PASSWORD,
  signedInClient,
  uniqueEmail,
} from "./support.ts";

describe("signup and password sign-in", () => {
  it("signs up without a session while confirmations are on, and refuses the password until confirmed", async () => {
    const supabase = client();
    const email = uniqueEmail("signup");
    const { data, error } = await supabase.auth.signUp({ email, password: PASSWORD, options: { data: { nick: "n1" } } });
    expect(error).toBeNull();
    expect(data.session).toBeNull();
    expect(data.user?.email).toBe(email);
    expect(data.user?.user_metadata).toMatchObject({ nick: "n1" });
    expect(data.user?.confirmation_sent_at).toBeTruthy();

    const signIn = await supabase.auth.signInWithPassword({ email, password: PASSWORD });
    expect(signIn.error?.status).toBe(400);
    expect(signIn.error?.code).toBe("email_not_confirmed");
  });

  it("answers a disguised user (no identities) when a confirmed address signs up again", async () => {
    const user = await createConfirmedUser("dup");
    const { data, error } = await client().auth.signUp({ email: user.email, password: PASSWORD });
    expect(error).toBeNull();
    expect(data.user?.id).not.toBe(user.id);
    expect(data.user?.identities).toEqual([]);
  });

  it("rejects a weak password with 422 weak_password and reasons", async () => {
    const { error } = await client().auth.signUp({ email: uniqueEmail("weak"), password: "short" });
    expect(error?.status).toBe(422);
    expect(error?.code).toBe("weak_password");
    expect((error as { reasons?: string[] }).reasons).toContain("length");
  });

  it("signs in with a password and issues GoTrue's session and claims", async () => {
    const user = await createConfirmedUser("claims", { app_metadata: { role_hint: "tester" } });
    const { data, error } = await client().auth.signInWithPassword({ email: user.email, password: PASSWORD });
    expect(error).toBeNull();
    const session = data.session;
    expect(session?.token_type).toBe("bearer");
    expect(session?.expires_in).toBe(3600);
    expect(session?.refresh_token).toMatch(/^[a-z0-9]{12,}$/);
    const [rawHeader] = (session?.access_token ?? "").split(".");
    const header = JSON.parse(Buffer.from(rawHeader ?? "", "base64url").toString());
    expect(header).toMatchObject({ alg: "ES256", typ: "JWT" });
    expect(typeof header.kid).toBe("string");
    const claims = decodeJwt(session?.access_token ?? "");
    expect(claims).toMatchObject({
      iss: backend.authUrl,
      sub: user.id,
      aud: "authenticated",
      role: "authenticated",
      email: user.email,
      phone: "",
      aal: "aal1",
      is_anonymous: false,
      app_metadata: { provider: "email", providers: ["email"], role_hint: "tester" },
    });
    expect(claims.session_id).toEqual(expect.any(String));
    expect(claims.amr).toEqual([{ method: "password", timestamp: expect.any(Number) }]);
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);
  });

  it("answers 400 invalid_credentials for a wrong password and an unknown address", async () => {
    const user = await createConfirmedUser("wrong");
    const wrong = await client().auth.signInWithPassword({ email: user.email, password: "not-the-password" });
    expect(wrong.error?.status).toBe(400);
    expect(wrong.error?.code).toBe("invalid_credentials");
    const unknown = await client().auth.signInWithPassword({ email: uniqueEmail("nobody"), password: PASSWORD });
    expect(unknown.error?.code).toBe("invalid_credentials");
  });
});

describe("user endpoint", () => {
  it("reads and updates the signed-in user", async () => {
    const { supabase, user } = await signedInClient("me");
    const got = await supabase.auth.getUser();
    expect(got.data.user?.id).toBe(user.id);
    expect(got.data.user?.identities?.[0]?.provider).toBe("email");

    const updated = await supabase.auth.updateUser({ data: { theme: "dark" } });
    expect(updated.error).toBeNull();
    expect(updated.data.user?.user_metadata).toMatchObject({ theme: "dark" });

    const same = await supabase.auth.updateUser({ password: PASSWORD });
    expect(same.error?.status).toBe(422);
    expect(same.error?.code).toBe("same_password");

    const changed = await supabase.auth.updateUser({ password: "another-long-password" });
    expect(changed.error).toBeNull();
    const again = await client().auth.signInWithPassword({ email: user.email, password: "another-long-password" });
    expect(again.error).toBeNull();
  });

  it("rejects a forged bearer with 403 bad_jwt and no bearer with 401 no_authorization", async () => {
    const { session } = await signedInClient("forged");
    const [header, payload] = (session?.access_token ?? "").split(".");
    const forged = await authFetch("/user", {
      headers: { authorization: `Bearer ${header}.${payload}.AAAA`, "x-supabase-api-version": "2024-01-01" },
    });
    expect(forged.status).toBe(403);
    expect(forged.body).toMatchObject({ code: "bad_jwt" });
    const none = await authFetch("/user", { headers: { "x-supabase-api-version": "2024-01-01" } });
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ code: "no_authorization" });
  });

  it("answers 403 session_not_found once the session is gone", async () => {
    const { supabase, session } = await signedInClient("gone");
    await adminClient().auth.admin.signOut(session?.access_token ?? "", "global");
    const raw = await authFetch("/user", {
      headers: { authorization: `Bearer ${session?.access_token}`, "x-supabase-api-version": "2024-01-01" },
    });
    expect(raw.status).toBe(403);
    expect(raw.body).toMatchObject({ code: "session_not_found" });
    const { error } = await supabase.auth.getUser();
    expect(error?.name).toBe("AuthSessionMissingError");
  });
});
