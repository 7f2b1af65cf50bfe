import { describe, expect, it } from "vitest";
import { authFetch, backend, type RequestLog, signedInClient } from "./support.ts";

describe("keys and getClaims", () => {
  it("publishes an ES256 verification key in the JWKS", async () => {
    const { status, body } = await authFetch("/.well-known/jwks.json");
    expect(status).toBe(200);
    const keys = (body as { keys: Record<string, unknown>[] }).keys;
    expect(keys.length).toBeGreaterThan(0);
    const key = keys.find((candidate) => candidate.alg === "ES256");
    expect(key).toMatchObject({ kty: "EC", crv: "P-256", use: "sig", key_ops: ["verify"] });
    expect(key?.d).toBeUndefined();
  });

  it("verifies locally: one JWKS fetch, no /user call", async () => {
    const requests: RequestLog[] = [];
    const { supabase, user } = await signedInClient("claims", { requests });
    requests.length = 0;
    for (let i = 0; i < 3; i++) {
      const { data, error } = await supabase.auth.getClaims();
      expect(error).toBeNull();
      expect(data?.claims.sub).toBe(user.id);
    }
    expect(requests.filter((request) => request.path === "/.well-known/jwks.json")).toHaveLength(1);
    expect(requests.filter((request) => request.path === "/user")).toHaveLength(0);
  });

  it("rejects a token whose signature was tampered with", async () => {
    const { supabase, session } = await signedInClient("tamper");
    const [header, payload, signature] = (session?.access_token ?? "").split(".");
    const flipped = `${signature?.slice(0, -2)}${signature?.endsWith("AA") ? "BB" : "AA"}`;
    const { data, error } = await supabase.auth.getClaims(`${header}.${payload}.${flipped}`);
    expect(data).toBeNull();
    expect(error).not.toBeNull();
  });
});

describe("settings and health", () => {
  it("lists email and the local test provider", async () => {
    const { status, body } = await authFetch("/settings");
    expect(status).toBe(200);
    expect(body).toMatchObject({ external: { email: true }, disable_signup: false });
    if (backend.embedded) expect(body).toMatchObject({ external: { local: true }, mailer_autoconfirm: false });
  });

  it("answers health", async () => {
    const { status, body } = await authFetch("/health");
    expect(status).toBe(200);
    expect(body).toMatchObject({ name: "GoTrue" });
  });
});
