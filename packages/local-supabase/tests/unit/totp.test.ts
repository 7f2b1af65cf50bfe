import { describe, expect, it } from "vitest";
import { base32Decode, base32Encode, otpauthUri, totpCode, totpMatches } from "../../src/auth/totp.ts";

/** RFC 6238 appendix B's SHA-1 key, "12345678901234567890", whose 8-digit codes end in these 6 digits. */
const rfcSecret = base32Encode(Buffer.from("12345678901234567890"));
const rfcVectors: [number, string][] = [
  [59, "287082"],
  [1111111109, "081804"],
  [1111111111, "050471"],
  [1234567890, "005924"],
  [2000000000, "279037"],
  [20000000000, "353130"],
];

describe("TOTP (RFC 6238, SHA-1, 30 s, 6 digits)", () => {
  it("computes the RFC's test vectors", () => {
    for (const [seconds, code] of rfcVectors) expect(totpCode(rfcSecret, seconds * 1000)).toBe(code);
  });

  it("accepts the previous, current and next step, and nothing further", () => {
    const now = 1111111109 * 1000;
    const code = totpCode(rfcSecret, now);
    expect(totpMatches(rfcSecret, code, now)).toBe(true);
    expect(totpMatches(rfcSecret, code, now + 30_000)).toBe(true);
    expect(totpMatches(rfcSecret, code, now - 30_000)).toBe(true);
    expect(totpMatches(rfcSecret, code, now + 60_000)).toBe(false);
    expect(totpMatches(rfcSecret, code, now - 60_000)).toBe(false);
    expect(totpMatches(rfcSecret, "12345", now)).toBe(false);
    expect(totpMatches(rfcSecret, "abcdef", now)).toBe(false);
  });

  it("round-trips unpadded base32", () => {
    expect(rfcSecret).toBe("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    expect(base32Decode(rfcSecret).toString()).toBe("12345678901234567890");
    expect(base32Encode(Buffer.from([0xff]))).toBe("74");
  });

  it("writes the Key URI Format: issuer label escaped as a path, parameters as a query", () => {
    expect(otpauthUri("localhost:3000", "a@example.com", "ABC")).toBe(
      "otpauth://totp/localhost:3000:a@example.com?algorithm=SHA1&digits=6&issuer=localhost%3A3000&period=30&secret=ABC",
    );
    expect(otpauthUri("My Forum", "a b@example.com", "ABC")).toMatch(
      /^otpauth:\/\/totp\/My%20Forum:a%20b@example\.com\?.*issuer=My\+Forum/,
    );
  });
});
