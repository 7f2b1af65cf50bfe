import { describe, expect, it } from "vitest";
import { authFetch, client, PASSWORD, signedInClient } from "./support.ts";

async function sessionAlive(accessToken: string | undefined): Promise<boolean> {
  const response = await authFetch("/user", {
    headers: { authorization: `Bearer ${accessToken}`, "x-supabase-api-version": "2024-01-01" },
  });
  if (response.status === 200) return true;
  expect(response.status).toBe(403);
  expect(response.body).toMatchObject({ code: "session_not_found" });
  return false;
}

async function threeSessions(label: string) {
  const first = await signedInClient(label);
  const others = await Promise.all(
    [0, 1].map(async () => {
      const supabase = client();
      const { data, error } = await supabase.auth.signInWithPassword({ email: first.user.email, password: PASSWORD });
      if (error) throw error;
      return { supabase, session: data.session };
    }),
  );
  return [first, ...others];
}

describe("logout scopes", () => {
  it("others: ends every other session and keeps this one", async () => {
    const [a, b, c] = await threeSessions("others");
    const { error } = (await a?.supabase.auth.signOut({ scope: "others" })) ?? {};
    expect(error).toBeNull();
    expect(await sessionAlive(a?.session?.access_token)).toBe(true);
    expect(await sessionAlive(b?.session?.access_token)).toBe(false);
    expect(await sessionAlive(c?.session?.access_token)).toBe(false);
  });

  it("local: ends only this session, and its refresh token stops working", async () => {
    const [a, b] = await threeSessions("local");
    const { error } = (await a?.supabase.auth.signOut({ scope: "local" })) ?? {};
    expect(error).toBeNull();
    expect(await sessionAlive(a?.session?.access_token)).toBe(false);
    expect(await sessionAlive(b?.session?.access_token)).toBe(true);
    const refresh = await client().auth.refreshSession({ refresh_token: a?.session?.refresh_token as string });
    expect(refresh.error?.code).toBe("refresh_token_not_found");
  });

  it("global: ends every session of the user", async () => {
    const [a, b, c] = await threeSessions("global");
    const { error } = (await a?.supabase.auth.signOut({ scope: "global" })) ?? {};
    expect(error).toBeNull();
    for (const one of [a, b, c]) expect(await sessionAlive(one?.session?.access_token)).toBe(false);
  });

  it("answers 204 and rejects an unknown scope with 400 validation_failed", async () => {
    const { session } = await signedInClient("scope");
    const bad = await authFetch("/logout?scope=everything", {
      method: "POST",
      headers: { authorization: `Bearer ${session?.access_token}`, "x-supabase-api-version": "2024-01-01" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: "validation_failed" });
    const ok = await authFetch("/logout?scope=local", {
      method: "POST",
      headers: { authorization: `Bearer ${session?.access_token}` },
    });
    expect(ok.status).toBe(204);
  });
});
