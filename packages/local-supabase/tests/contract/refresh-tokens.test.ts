import { afterAll, describe, expect, it } from "vitest";
import { authFetch, client, database, decodeJwt, needsDatabase, signedInClient } from "./support.ts";

const versioned = { "x-supabase-api-version": "2024-01-01" };

async function refresh(token: string) {
  return authFetch("/token?grant_type=refresh_token", { body: { refresh_token: token }, headers: versioned });
}

async function tokenOf(response: Awaited<ReturnType<typeof refresh>>): Promise<string> {
  expect(response.status).toBe(200);
  return (response.body as { refresh_token: string }).refresh_token;
}

const db = needsDatabase ? undefined : database();
afterAll(async () => {
  await db?.end();
});

function sql() {
  if (!db) throw new Error("this test needs SUPABASE_CONTRACT_DB_URL");
  return db;
}

describe("refresh-token rotation (GoTrue's rules)", () => {
  it("rotates on every refresh and keeps the session", async () => {
    const { supabase, session } = await signedInClient("rotate");
    const { data, error } = await supabase.auth.refreshSession();
    expect(error).toBeNull();
    expect(data.session?.refresh_token).not.toBe(session?.refresh_token);
    expect(decodeJwt(data.session?.access_token ?? "").session_id).toBe(decodeJwt(session?.access_token ?? "").session_id);
  });

  it("answers the active token when the revoked parent of the active token is reused", async () => {
    const { session } = await signedInClient("parent");
    const first = session?.refresh_token as string;
    const active = await tokenOf(await refresh(first));
    const again = await refresh(first);
    expect(await tokenOf(again)).toBe(active);
  });

  it("lets an older token be reused within the reuse interval", async () => {
    const { session } = await signedInClient("interval");
    const t0 = session?.refresh_token as string;
    const t1 = await tokenOf(await refresh(t0));
    await tokenOf(await refresh(t1));
    const reuse = await refresh(t0);
    expect(reuse.status).toBe(200);
  });

  it("serves two concurrent refreshes of one token with one rotation", async () => {
    const { session } = await signedInClient("concurrent");
    const [a, b] = await Promise.all([refresh(session?.refresh_token as string), refresh(session?.refresh_token as string)]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(await tokenOf(a)).toBe(await tokenOf(b));
  });

  it.skipIf(needsDatabase)(
    "revokes the whole family, committed, and answers 400 refresh_token_already_used past the interval",
    async () => {
      const { session } = await signedInClient("reuse");
      const t0 = session?.refresh_token as string;
      const t1 = await tokenOf(await refresh(t0));
      await tokenOf(await refresh(t1));
      const sessionId = decodeJwt(session?.access_token ?? "").session_id as string;
      // Age t0 past the 10 s reuse interval instead of sleeping.
      await sql()`update auth.refresh_tokens set updated_at = now() - interval '1 minute' where token = ${t0}`;
      const reuse = await refresh(t0);
      expect(reuse.status).toBe(400);
      expect(reuse.body).toMatchObject({ code: "refresh_token_already_used" });
      expect(reuse.headers.get("x-supabase-api-version")).toBe("2024-01-01");
      const rows = await sql()<{ revoked: boolean }[]>`
        select revoked from auth.refresh_tokens where session_id = ${sessionId}`;
      expect(rows.length).toBeGreaterThan(2);
      expect(rows.every((row) => row.revoked)).toBe(true);
    },
  );

  it("answers 400 refresh_token_not_found for an unknown token and validation_failed for a malformed one", async () => {
    const unknown = await refresh("abcdefghijkl");
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ code: "refresh_token_not_found" });
    const malformed = await refresh("not a token");
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ code: "validation_failed" });
    const { error } = await client().auth.refreshSession({ refresh_token: "abcdefghijkl" });
    expect(error?.code).toBe("refresh_token_not_found");
  });

  it.skipIf(needsDatabase)("puts app_metadata changed in SQL into the next token", async () => {
    const { supabase, user } = await signedInClient("sqlmeta");
    await sql()`update auth.users set raw_app_meta_data = raw_app_meta_data || '{"plan":"pro"}'::jsonb
               where id = ${user.id}`;
    const { data } = await supabase.auth.refreshSession();
    expect(decodeJwt(data.session?.access_token ?? "").app_metadata).toMatchObject({ plan: "pro", provider: "email" });
  });
});
