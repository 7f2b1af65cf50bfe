import { readFileSync } from "node:fs";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { PASSWORD_MIN_LENGTH } from "~/lib/domain/password";

describe("the password rule", () => {
  it("is the auth server's: PASSWORD_MIN_LENGTH equals [auth] minimum_password_length in supabase/config.toml", () => {
    const config = parse(readFileSync(new URL("../../supabase/config.toml", import.meta.url), "utf8")) as {
      auth?: { minimum_password_length?: number };
    };
    expect(config.auth?.minimum_password_length).toBe(PASSWORD_MIN_LENGTH);
  });
});
