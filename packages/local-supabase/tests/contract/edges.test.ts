import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { adminClient, authFetch, PASSWORD } from "./support.ts";

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
