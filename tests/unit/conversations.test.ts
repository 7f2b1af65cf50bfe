import { describe, expect, it } from "vitest";
import { initials, timeAgo } from "../../src/features/conversations/time-ago.ts";
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

describe("timeAgo and initials", () => {
  const now = Date.parse("2026-12-01T12:00:00Z");
  it("says how long ago in a few characters, then the date", () => {
    expect(timeAgo("2026-12-01T11:59:30.000000Z", now)).toBe("now");
    expect(timeAgo("2026-12-01T12:00:30.000000Z", now)).toBe("now");
    expect(timeAgo("2026-12-01T11:55:00.000000Z", now)).toBe("5 min");
    expect(timeAgo("2026-12-01T09:00:00.000000Z", now)).toBe("3 h");
    expect(timeAgo("2026-11-29T12:00:00.000000Z", now)).toBe("2 d");
    expect(timeAgo("2026-10-01T12:00:00.000000Z", now)).toBe("2026-10-01");
  });

  it("takes two letters of a username for the avatar", () => {
    expect(initials("bob")).toBe("BO");
    expect(initials("mary_ann")).toBe("MA");
    expect(initials("_x")).toBe("_X");
  });
});
