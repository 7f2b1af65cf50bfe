import { createHash, randomBytes } from "node:crypto";
import type { Provider } from "@supabase/supabase-js";
import { afterAll, describe, expect, it } from "vitest";
import { authFetch, backend, client, database, decodeJwt, needsDatabase, onlyEmbedded, uniqueEmail } from "./support.ts";

// The local test identity provider exists only on the embedded backend.
const appUrl = "http://localhost:3000/auth/callback";
const versioned = { "x-supabase-api-version": "2024-01-01" };

/** Plays the developer on the provider page: submits an identity and returns where it redirects. */
async function pickIdentity(authorizeUrl: string, email: string): Promise<URL> {
  const toPage = await fetch(authorizeUrl, { redirect: "manual" });
  expect(toPage.status).toBe(302);
  const pageUrl = new URL(toPage.headers.get("location") ?? "");
  const page = await fetch(pageUrl);
  expect(page.headers.get("content-type")).toContain("text/html");
  expect(await page.text()).toContain("Local test identity provider");
  const back = await fetch(`${pageUrl.origin}${pageUrl.pathname}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ state: pageUrl.searchParams.get("state") ?? "", email, name: "Test Person" }),
    redirect: "manual",
  });
  expect(back.status).toBe(302);
  return new URL(back.headers.get("location") ?? "");
}

function pkcePair() {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

async function codeFor(email: string, challenge: string): Promise<string> {
  const query = new URLSearchParams({
    provider: "local",
    redirect_to: appUrl,
    code_challenge: challenge,
    code_challenge_method: "s256",
  });
  const back = await pickIdentity(`${backend.authUrl}/authorize?${query}`, email);
  return back.searchParams.get("code") ?? "";
}

const exchange = (authCode: string, verifier: string) =>
  authFetch("/token?grant_type=pkce", { body: { auth_code: authCode, code_verifier: verifier }, headers: versioned });

const db = needsDatabase ? undefined : database();
afterAll(async () => {
  await db?.end();
});

describe.skipIf(onlyEmbedded)("embedded: OAuth with PKCE against the local test provider", () => {
  it("signInWithOAuth → provider page → ?code= → exchangeCodeForSession", async () => {
    const supabase = client({ flowType: "pkce" });
    const { data, error } = await supabase.auth.signInWithOAuth({
      provider: "local" as Provider,
      options: { redirectTo: appUrl, skipBrowserRedirect: true },
    });
    expect(error).toBeNull();
    const email = uniqueEmail("oauth");
    const back = await pickIdentity(data.url ?? "", email);
    expect(`${back.origin}${back.pathname}`).toBe(appUrl);
    const exchanged = await supabase.auth.exchangeCodeForSession(back.searchParams.get("code") ?? "");
    expect(exchanged.error).toBeNull();
    const claims = decodeJwt(exchanged.data.session?.access_token ?? "");
    expect(claims.email).toBe(email);
    expect(claims.app_metadata).toMatchObject({ provider: "local", providers: ["local"] });
    expect(claims.amr).toEqual([{ method: "oauth", timestamp: expect.any(Number) }]);
    expect(exchanged.data.user?.user_metadata).toMatchObject({ full_name: "Test Person" });
  });

  it("a wrong verifier is 400 bad_code_verifier", async () => {
    const { challenge } = pkcePair();
    const response = await exchange(await codeFor(uniqueEmail("badverifier"), challenge), pkcePair().verifier);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: "bad_code_verifier" });
  });

  it("a code works once; reuse is 404 flow_state_not_found", async () => {
    const { verifier, challenge } = pkcePair();
    const code = await codeFor(uniqueEmail("reuse"), challenge);
    expect((await exchange(code, verifier)).status).toBe(200);
    const again = await exchange(code, verifier);
    expect(again.status).toBe(404);
    expect(again.body).toMatchObject({ code: "flow_state_not_found" });
  });

  it.skipIf(needsDatabase)("a flow older than five minutes is 422 flow_state_expired", async () => {
    const { verifier, challenge } = pkcePair();
    const code = await codeFor(uniqueEmail("expired"), challenge);
    await db?.unsafe("update auth.flow_state set created_at = now() - interval '6 minutes' where auth_code = $1", [code]);
    const response = await exchange(code, verifier);
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ code: "flow_state_expired" });
  });

  it("an unknown provider is 400 validation_failed", async () => {
    const response = await authFetch("/authorize?provider=nope", { headers: versioned });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: "validation_failed" });
  });

  it("a redirect_to outside the allow list falls back to the site URL", async () => {
    const back = await pickIdentity(
      `${backend.authUrl}/authorize?provider=local&redirect_to=${encodeURIComponent("https://evil.example.com/x")}`,
      uniqueEmail("evil"),
    );
    expect(back.origin).toBe("http://localhost:3000");
    expect(new URLSearchParams(back.hash.slice(1)).get("access_token")).toBeTruthy();
  });
});

describe("PKCE input checks", () => {
  it("an unknown auth code is 404 flow_state_not_found", async () => {
    const response = await exchange("00000000-0000-4000-8000-000000000000", pkcePair().verifier);
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ code: "flow_state_not_found" });
  });

  it("missing auth code or verifier is 400 validation_failed", async () => {
    const response = await authFetch("/token?grant_type=pkce", { body: { auth_code: "x" }, headers: versioned });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: "validation_failed" });
  });
});
