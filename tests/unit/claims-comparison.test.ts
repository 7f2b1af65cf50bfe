import { describe, expect, it } from "vitest";
import { sameAppMetadata } from "~/lib/domain/claims";

describe("sameAppMetadata(): does a token still carry the user's stored app_metadata", () => {
  it("ignores key order, at every depth (jsonb stores keys sorted)", () => {
    expect(sameAppMetadata({ a: 1, b: { c: [1, { d: 2, e: 3 }] } }, { b: { c: [1, { e: 3, d: 2 }] }, a: 1 })).toBe(true);
  });

  it("ignores the provider fields the auth server adds to tokens on its own", () => {
    expect(sameAppMetadata({ user_role: "moderator" }, { provider: "email", providers: ["email"], user_role: "moderator" })).toBe(
      true,
    );
    expect(sameAppMetadata(null, { provider: "email", providers: ["email"] })).toBe(true);
  });

  it.each([
    ["a role granted since", {}, { user_role: "moderator" }],
    ["a role revoked since", { user_role: "moderator" }, {}],
    ["a role changed", { user_role: "moderator" }, { user_role: "admin" }],
    ["an array in another order", { groups: ["a", "b"] }, { groups: ["b", "a"] }],
    ["a number and its string", { level: 1 }, { level: "1" }],
    ["null and a missing key", { user_role: null }, {}],
  ])("tells apart %s", (_case, stored, token) => {
    expect(sameAppMetadata(stored, token)).toBe(false);
  });
});
