import { describe, expect, it } from "vitest";
import { setupParameters, type VerifiedClaims } from "~/server/db/client";

const BOB = "b0b00000-0000-4000-8000-000000000002";
const claims = (extra: Partial<VerifiedClaims> = {}): VerifiedClaims => ({
  sub: BOB,
  role: "authenticated",
  aud: "authenticated",
  iat: 1,
  exp: 2,
  app_metadata: {},
  user_metadata: {},
  ...extra,
});

describe("setupParameters(): what an RLS transaction sets before the caller's first query", () => {
  it("a signed-out request runs as anon, with anon claims and no subject", () => {
    expect(setupParameters(null)).toEqual([JSON.stringify({ role: "anon" }), "", "anon"]);
  });

  it("an anon token keeps its claims and runs as anon", () => {
    const anon = claims({ role: "anon", sub: "" });
    expect(setupParameters(anon)).toEqual([JSON.stringify(anon), "", "anon"]);
  });

  it("a user's token runs as authenticated with its claims and subject, the JSON as the token had it", () => {
    const user = claims({ email: `quote ' and "double" \\ ü` });
    const [json, sub, role] = setupParameters(user);
    expect(JSON.parse(json)).toEqual(user);
    expect([sub, role]).toEqual([BOB, "authenticated"]);
  });

  it.each(["service_role", "postgres", "supabase_admin", ""])("refuses a token whose role is %j", (role) => {
    expect(() => setupParameters(claims({ role }))).toThrow(/cannot be used for an RLS transaction/);
  });

  it.each(["", "not-a-uuid", `${BOB}' or '1'='1`, `${BOB}\n`])("refuses a subject that is not a user id: %j", (sub) => {
    expect(() => setupParameters(claims({ sub }))).toThrow(/sub is not a user id/);
  });
});
