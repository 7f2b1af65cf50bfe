import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { adminClient, authFetch, backend, onlyEmbedded, PASSWORD } from "./support.ts";

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
