import { describe, expect, it } from "vitest";
import { USER_SEARCH_MIN_LENGTH, userSearchPrefix } from "../../src/lib/domain/conversations.ts";

describe("userSearchPrefix", () => {
  it("turns typed text into a lowercase prefix, or says why there is none", () => {
    expect(userSearchPrefix("  Bo ")).toEqual({ prefix: "bo" });
    expect(userSearchPrefix("ann_b")).toEqual({ prefix: "ann_b" });
    expect(userSearchPrefix("")).toEqual({ empty: true });
    expect(userSearchPrefix("   ")).toEqual({ empty: true });
    expect(userSearchPrefix("b")).toEqual({ hint: `Type at least ${USER_SEARCH_MIN_LENGTH} characters.` });
    for (const text of ["bo%", "bo b", "a.b", "é", "\u0000", "<b>", "bo'--"]) {
      expect(userSearchPrefix(text), text).toMatchObject({ hint: expect.stringContaining("lowercase letters") });
    }
    expect(userSearchPrefix("x".repeat(33))).toMatchObject({ hint: expect.stringContaining("at most 32") });
  });
});
