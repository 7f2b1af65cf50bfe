import { describe, expect, it } from "vitest";
import { adminClient, authFetch, client, decodeJwt, PASSWORD, uniqueEmail } from "./support.ts";

describe("admin API (secret key)", () => {
  it("creates, gets, updates (incl. app_metadata), lists and deletes users", async () => {
    const admin = adminClient().auth.admin;
    const email = uniqueEmail("admin");
    const created = await admin.createUser({
      email,
      password: PASSWORD,
      email_confirm: true,
      user_metadata: { name: "Ada" },
      app_metadata: { roles: ["member"] },
    });
    expect(created.error).toBeNull();
    const id = created.data.user?.id ?? "";
    expect(created.data.user?.app_metadata).toMatchObject({ provider: "email", roles: ["member"] });

    const duplicate = await admin.createUser({ email, password: PASSWORD });
    expect(duplicate.error?.status).toBe(422);
    expect(duplicate.error?.code).toBe("email_exists");

    const got = await admin.getUserById(id);
    expect(got.data.user?.email).toBe(email);

    const updated = await admin.updateUserById(id, { app_metadata: { roles: ["moderator"] } });
    expect(updated.error).toBeNull();
    expect(updated.data.user?.app_metadata).toMatchObject({ provider: "email", roles: ["moderator"] });
    const signIn = await client().auth.signInWithPassword({ email, password: PASSWORD });
    expect(decodeJwt(signIn.data.session?.access_token ?? "").app_metadata).toMatchObject({ roles: ["moderator"] });

    const listed = await admin.listUsers({ page: 1, perPage: 1000 });
    expect(listed.error).toBeNull();
    expect(listed.data.users.some((user) => user.id === id)).toBe(true);

    const deleted = await admin.deleteUser(id);
    expect(deleted.error).toBeNull();
    const gone = await admin.getUserById(id);
    expect(gone.error?.status).toBe(404);
  });

  it("paginates the list like GoTrue (x-total-count, link)", async () => {
    const admin = adminClient().auth.admin;
    await Promise.all([0, 1].map(() => admin.createUser({ email: uniqueEmail("page"), password: PASSWORD })));
    const { data, error } = await admin.listUsers({ page: 1, perPage: 1 });
    expect(error).toBeNull();
    expect(data.users).toHaveLength(1);
    expect((data as unknown as { total: number }).total).toBeGreaterThan(1);
    expect((data as unknown as { nextPage: number | null }).nextPage).toBe(2);
  });

  it("generate_link returns a magic link and OTP without mailing", async () => {
    const admin = adminClient().auth.admin;
    const email = uniqueEmail("genlink");
    await admin.createUser({ email, password: PASSWORD, email_confirm: true });
    const { data, error } = await admin.generateLink({ type: "magiclink", email });
    expect(error).toBeNull();
    expect(data.properties?.verification_type).toBe("magiclink");
    expect(data.properties?.action_link).toContain("/auth/v1/verify?token=");
    const verified = await client().auth.verifyOtp({ token_hash: data.properties?.hashed_token ?? "", type: "magiclink" });
    expect(verified.error).toBeNull();
    expect(verified.data.session?.user.email).toBe(email);
  });

  it("refuses admin routes with the publishable key", async () => {
    const response = await authFetch("/admin/users", { headers: { "x-supabase-api-version": "2024-01-01" } });
    expect(response.status).toBe(403);
    const { error } = await client().auth.admin.listUsers();
    expect(error?.status).toBe(403);
  });
});
