import { describe, expect, it } from "vitest";
import { fixtureConfig } from "../fixture.ts";
import { AuthApiError, renderError } from "../../src/auth/errors.ts";
import { parseDuration } from "../../src/auth/rate-limit.ts";
import { globToRegExp, isRedirectAllowed } from "../../src/auth/redirects.ts";

const config = {
  ...fixtureConfig(),
  auth: {
    ...fixtureConfig().auth,
    site_url: "http://localhost:3000",
    additional_redirect_urls: ["https://*.example.com/callback", "https://app.example.org/**"],
  },
};

describe("redirect allow list (GoTrue's rules)", () => {
  it("allows the site URL host, any port when it is local", () => {
    expect(isRedirectAllowed(config, "http://localhost:3000/anything")).toBe(true);
    expect(isRedirectAllowed(config, "http://localhost:5173/auth/callback")).toBe(true);
  });

  it("allows loopback IPs only, however the address is written", () => {
    expect(isRedirectAllowed(config, "http://127.0.0.1:4000/x")).toBe(true);
    expect(isRedirectAllowed(config, "http://2130706433/x")).toBe(true);
    expect(isRedirectAllowed(config, "http://3232235777/x")).toBe(false);
    expect(isRedirectAllowed(config, "http://10.0.0.1/x")).toBe(false);
  });

  it("matches globs: * stays within a label or segment, ** crosses them", () => {
    expect(isRedirectAllowed(config, "https://a.example.com/callback")).toBe(true);
    expect(isRedirectAllowed(config, "https://a.b.example.com/callback")).toBe(false);
    expect(isRedirectAllowed(config, "https://app.example.org/deep/path?x=1")).toBe(true);
    expect(isRedirectAllowed(config, "https://evil.example.net/callback")).toBe(false);
    expect(globToRegExp("http://{a,b}.test/x").test("http://b.test/x")).toBe(true);
  });
});

describe("error bodies", () => {
  const error = new AuthApiError(400, "invalid_credentials", "Invalid login credentials");

  it("uses {code, message} from API version 2024-01-01 on", () => {
    expect(renderError(error, "2024-06-01")).toMatchObject({
      headers: { "x-supabase-api-version": "2024-01-01" },
      body: { code: "invalid_credentials", message: "Invalid login credentials" },
    });
  });

  it("falls back to the legacy body for no, old or malformed versions", () => {
    for (const header of [undefined, "2023-12-31", "yesterday"]) {
      expect(renderError(error, header).body).toEqual({
        code: 400,
        error_code: "invalid_credentials",
        msg: "Invalid login credentials",
      });
    }
  });
});

describe("Go durations", () => {
  it("parses what config.toml uses", () => {
    expect(parseDuration("1s")).toBe(1000);
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("nonsense")).toBe(0);
  });
});
