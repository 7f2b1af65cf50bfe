import { describe, expect, it } from "vitest";
import { EnvError, PublicEnv, parseEnv } from "~/lib/env-schema";
import { parseServerEnv } from "~/server/env";

const valid = {
  VITE_SUPABASE_URL: "http://127.0.0.1:54321/",
  VITE_SUPABASE_PUBLISHABLE_KEY: "sb_publishable_abc",
  DATABASE_URL: "postgres://rls_client:pw@127.0.0.1:54322/postgres",
  ADMIN_DATABASE_URL: "postgresql://postgres:postgres@127.0.0.1:54322/postgres",
};

describe("server env", () => {
  it("accepts a complete environment and normalises the URL", () => {
    expect(parseServerEnv(valid).VITE_SUPABASE_URL).toBe("http://127.0.0.1:54321");
  });

  it.each([
    ["VITE_SUPABASE_URL", "not a url", /VITE_SUPABASE_URL must be an absolute URL/],
    ["VITE_SUPABASE_URL", "ftp://example.com", /VITE_SUPABASE_URL must use http or https/],
    ["VITE_SUPABASE_PUBLISHABLE_KEY", "", /VITE_SUPABASE_PUBLISHABLE_KEY is required/],
    ["DATABASE_PREPARE", "no", /DATABASE_PREPARE must be true, false/],
    ["DATABASE_URL", "mysql://x@y/z", /DATABASE_URL must be a postgres:\/\/ URL/],
    ["ADMIN_DATABASE_URL", undefined, /ADMIN_DATABASE_URL is required/],
    ["TRUST_PROXY", "yes", /TRUST_PROXY must be 1/],
  ])("names %s when it is %j", (name, value, message) => {
    const env: Record<string, string | undefined> = { ...valid, [name]: value };
    expect(() => parseServerEnv(env)).toThrow(EnvError);
    expect(() => parseServerEnv(env)).toThrow(message);
  });

  it("prepares statements unless DATABASE_PREPARE=false", () => {
    expect(parseServerEnv(valid).DATABASE_PREPARE).toBe(true);
    expect(parseServerEnv({ ...valid, DATABASE_PREPARE: "true" }).DATABASE_PREPARE).toBe(true);
    expect(parseServerEnv({ ...valid, DATABASE_PREPARE: " false " }).DATABASE_PREPARE).toBe(false);
  });

  it("believes X-Forwarded-For only with TRUST_PROXY=1", () => {
    expect(parseServerEnv(valid).TRUST_PROXY).toBe(false);
    expect(parseServerEnv({ ...valid, TRUST_PROXY: "0" }).TRUST_PROXY).toBe(false);
    expect(parseServerEnv({ ...valid, TRUST_PROXY: " 1 " }).TRUST_PROXY).toBe(true);
  });

  it("lists every bad variable at once", () => {
    try {
      parseServerEnv({});
      expect.unreachable();
    } catch (error) {
      const message = (error as Error).message;
      for (const name of Object.keys(valid)) expect(message).toContain(`${name} is required`);
    }
  });
});

describe("public env", () => {
  it("holds only the two public variables", () => {
    expect(Object.keys(PublicEnv.entries).sort()).toEqual(["VITE_SUPABASE_PUBLISHABLE_KEY", "VITE_SUPABASE_URL"]);
    expect(parseEnv(PublicEnv, valid)).toEqual({
      VITE_SUPABASE_URL: "http://127.0.0.1:54321",
      VITE_SUPABASE_PUBLISHABLE_KEY: "sb_publishable_abc",
    });
  });
});
