import { describe, expect, it } from "vitest";
import { nextFromMailLink, safeNextPath } from "~/lib/safe-redirect";

describe("safeNextPath", () => {
  it.each([
    ["/protected", "/protected"],
    ["/messages?before=2024-01-01T00%3A00%3A00Z", "/messages?before=2024-01-01T00%3A00%3A00Z"],
    ["/account#password", "/account#password"],
    ["/a/../account", "/account"],
    ["/caf%C3%A9", "/caf%C3%A9"],
  ])("keeps the same-origin path %s", (input, expected) => {
    expect(safeNextPath(input)).toBe(expected);
  });

  const attacks = [
    "//evil.com",
    "///evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "/\\/evil.com",
    "https://evil.com",
    "http:evil.com",
    "https:/evil.com",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.com",
    "%2F%2Fevil.com",
    "/%2F%2Fevil.com",
    "/%2f%2fevil.com",
    "/%5Cevil.com",
    "/%5C%5Cevil.com",
    "%252F%252Fevil.com",
    "/%252F%252Fevil.com",
    "/%25252F%25252Fevil.com",
    "/\tevil.com",
    "/\t/evil.com",
    "/\n/evil.com",
    "/%0D%0ASet-Cookie:x=y",
    "/ok\r\nLocation: https://evil.com",
    "/%09/evil.com",
    "/%00",
    " //evil.com",
    "/%E0%A4%A",
    "",
    "x".repeat(3000),
    "/.//evil.com",
    "/..//evil.com",
    "/%2e//evil.com",
    "/a/..//evil.com",
    "/%2e%2e//evil.com",
    "/./\\evil.com",
  ];

  it.each(attacks)("refuses %j", (input) => {
    expect(safeNextPath(input)).toBe("/");
  });

  it("falls back to the given default", () => {
    expect(safeNextPath("//evil.com", "/protected")).toBe("/protected");
    expect(safeNextPath(undefined, "/account")).toBe("/account");
    expect(safeNextPath(null)).toBe("/");
  });

  it("holds more than twenty attack forms", () => {
    expect(attacks.length).toBeGreaterThanOrEqual(20);
  });
});

describe("nextFromMailLink", () => {
  const origin = "http://localhost:3000";
  it.each([
    ["/protected", "/protected"],
    ["http://localhost:3000/protected?tab=1", "/protected?tab=1"],
    ["http://localhost:3000/auth/callback?next=%2Faccount", "/account"],
    ["http://localhost:3000/auth/confirm?next=%2F%2Fevil.com", "/"],
    ["https://evil.com/protected", "/"],
    ["http://localhost:3001/protected", "/"],
    ["//evil.com", "/"],
    [null, "/"],
  ])("%s -> %s", (input, expected) => {
    expect(nextFromMailLink(input, origin)).toBe(expected);
  });
});
