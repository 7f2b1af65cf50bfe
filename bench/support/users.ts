import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { importJWK, SignJWT } from "jose";
import type postgres from "postgres";

/**
 * Many distinct signed-in users for subscriber benchmarks: rows inserted directly (no bcrypt work
 * dominating the setup) and access tokens signed with the local Supabase's own key, as sign-in
 * would return them.
 */
export async function benchUsers(
  sql: postgres.Sql,
  options: { count: number; emailPrefix: string; dataDir: string; apiUrl: string },
): Promise<{ users: string[]; tokens: string[] }> {
  const keyFile = JSON.parse(await readFile(join(options.dataDir, "auth-keys.json"), "utf8")) as {
    kid: string;
    privateJwk: Record<string, unknown>;
  };
  const signingKey = await importJWK(keyFile.privateJwk, "ES256");
  const users = Array.from({ length: options.count }, () => randomUUID());
  await sql`insert into auth.users ${sql(
    users.map((id, i) => ({
      id,
      aud: "authenticated",
      role: "authenticated",
      email: `${options.emailPrefix}-${i}-${id.slice(0, 8)}@example.com`,
      raw_app_meta_data: sql.json({ provider: "email", providers: ["email"] }),
      raw_user_meta_data: sql.json({}),
      created_at: new Date(),
      updated_at: new Date(),
    })),
  )}`;
  // Each token names a session that exists: the Realtime policies refuse a token whose session is gone.
  const sessions = users.map((user_id) => ({ id: randomUUID(), user_id, created_at: new Date(), updated_at: new Date() }));
  await sql`insert into auth.sessions ${sql(sessions)}`;
  const now = Math.floor(Date.now() / 1000);
  const issuer = `${options.apiUrl}/auth/v1`;
  const tokens = await Promise.all(
    sessions.map(({ id: session_id, user_id: sub }) =>
      new SignJWT({ sub, role: "authenticated", aud: "authenticated", iss: issuer, session_id, app_metadata: {} })
        .setProtectedHeader({ alg: "ES256", kid: keyFile.kid, typ: "JWT" })
        .setIssuedAt(now)
        .setExpirationTime(now + 3600)
        .sign(signingKey),
    ),
  );
  return { users, tokens };
}
