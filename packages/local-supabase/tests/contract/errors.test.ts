import { describe, expect, it } from "vitest";
import { authFetch, backend, onlyEmbedded } from "./support.ts";

const versioned = { "x-supabase-api-version": "2024-01-01" };

describe("error bodies chosen by X-Supabase-Api-Version", () => {
  const wrongLogin = { email: "nobody-at-all@example.com", password: "whatever-it-is" };

  it("2024-01-01: {code, message} and the header echoed", async () => {
    const response = await authFetch("/token?grant_type=password", { body: wrongLogin, headers: versioned });
    expect(response.status).toBe(400);
    expect(response.headers.get("x-supabase-api-version")).toBe("2024-01-01");
    expect(response.body).toEqual({ code: "invalid_credentials", message: "Invalid login credentials" });
  });

  it("no header: the legacy {code: status, error_code, msg}", async () => {
    const response = await authFetch("/token?grant_type=password", { body: wrongLogin });
    expect(response.status).toBe(400);
    expect(response.headers.get("x-supabase-api-version")).toBeNull();
    expect(response.body).toMatchObject({ code: 400, error_code: "invalid_credentials", msg: "Invalid login credentials" });
  });
});

describe("bad input gets a 4xx with a code, never a 500 or a hang", () => {
  it("malformed JSON: 400 bad_json", async () => {
    const response = await authFetch("/token?grant_type=password", { rawBody: "{not json", headers: versioned });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: "bad_json" });
  });

  it("missing fields: 400 validation_failed", async () => {
    const response = await authFetch("/token?grant_type=password", { body: {}, headers: versioned });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: "validation_failed" });
  });

  it("wrong field types: 400", async () => {
    const response = await authFetch("/signup", { body: { email: 42, password: ["x"] }, headers: versioned });
    expect(response.status).toBe(400);
  });

  it("unknown grant type: GoTrue's 400 invalid_credentials 'unsupported_grant_type'", async () => {
    const response = await authFetch("/token?grant_type=magic", { body: {}, headers: versioned });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ code: "invalid_credentials", message: "unsupported_grant_type" });
  });

  it.skipIf(onlyEmbedded)("embedded: an oversized body is 413 request_too_large", async () => {
    const response = await authFetch("/signup", {
      rawBody: JSON.stringify({ email: "big@example.com", password: "x".repeat(2 * 1024 * 1024) }),
      headers: versioned,
    });
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ code: "request_too_large" });
  });

  it("unknown paths answer 404 JSON", async () => {
    const response = await authFetch("/no-such-endpoint", { headers: versioned });
    expect(response.status).toBe(404);
    expect(typeof response.body).toBe("object");
  });

  it("a missing apikey is refused with 401", async () => {
    const response = await fetch(`${backend.authUrl}/settings`);
    expect(response.status).toBe(401);
    await response.arrayBuffer();
  });

  it("answers a browser preflight with the headers supabase-js sends", async () => {
    const response = await fetch(`${backend.authUrl}/token?grant_type=password`, {
      method: "OPTIONS",
      headers: {
        origin: "http://localhost:3000",
        "access-control-request-method": "POST",
        "access-control-request-headers": "apikey, authorization, x-client-info, x-supabase-api-version, content-type",
      },
    });
    expect(response.status).toBeLessThan(300);
    const allowed = (response.headers.get("access-control-allow-headers") ?? "").toLowerCase();
    for (const name of ["apikey", "authorization", "x-client-info", "x-supabase-api-version", "content-type"]) {
      expect(allowed).toContain(name);
    }
    expect(response.headers.get("access-control-allow-origin")).toMatch(/http:\/\/localhost:3000|\*/);
    await response.arrayBuffer();
  });
});

describe.skipIf(onlyEmbedded)("embedded: body limit without a content-length", () => {
  it("answers 413 to an oversized chunked body", async () => {
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 2 * 1024 * 1024) controller.close();
        else {
          sent += chunk.length;
          controller.enqueue(chunk);
        }
      },
    });
    const response = await fetch(`${backend.authUrl}/signup`, {
      method: "POST",
      headers: { apikey: backend.publishableKey, "content-type": "application/json", ...versioned },
      body,
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: "request_too_large" });
  });
});
