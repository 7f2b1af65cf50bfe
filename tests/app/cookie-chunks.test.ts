import { describe, expect, it } from "vitest";
import { adminClient, createConfirmedUser } from "../fixtures/admin.ts";
import { AppClient } from "../fixtures/app-client.ts";
import { uniqueEmail } from "../fixtures/mailbox.ts";
import { expireAccessToken, readSession } from "../fixtures/session-tokens.ts";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

const PASSWORD = "chunky-password-1";

/**
 * user_metadata sized so the stored session needs `chunks` cookies of 3180 characters: the
 * metadata is in the session twice (user object and access-token payload), base64url'd once or
 * twice, ≈ 3 characters per character; the session without it is ≈ 2400.
 */
function padding(chunks: 1 | 2 | 3): Record<string, string> {
  // GoTrue merges user_metadata on update, so "shrinking" sets the key to an empty string.
  return { note: "x".repeat({ 1: 0, 2: 700, 3: 1700 }[chunks]) };
}

async function refreshWithMetadata(client: AppClient, userId: string, chunks: 1 | 2 | 3, extraCookie?: string) {
  const { error } = await adminClient().auth.admin.updateUserById(userId, { user_metadata: padding(chunks) });
  if (error) throw error;
  await expireAccessToken(client);
  if (extraCookie) client.jar.set(extraCookie, { value: "stale", attributes: {} });
  const response = await client.request("/protected");
  expect(response.status).toBe(200);
  return response;
}

function removed(client: AppClient): string[] {
  return client.lastSetCookies
    .filter((cookie) => /;\s*Max-Age=0/i.test(cookie))
    .map((cookie) => cookie.split("=")[0] as string)
    .sort();
}

describe("session cookie chunking (done by @supabase/ssr, pinned here)", () => {
  it("moves between single and chunked cookies without leaving stale chunks", async () => {
    const email = uniqueEmail("chunks");
    const user = await createConfirmedUser(email, PASSWORD);
    const client = new AppClient();
    await client.signIn(email, PASSWORD, "/protected");
    const [key] = client.sessionCookieNames();
    expect(key).toMatch(/^sb-[^.]+-auth-token$/);
    expect(client.sessionCookieNames()).toEqual([key]);

    // single -> chunked: the old unchunked cookie is removed
    await refreshWithMetadata(client, user.id, 3);
    expect(client.sessionCookieNames()).toEqual([`${key}.0`, `${key}.1`, `${key}.2`]);
    expect(removed(client)).toEqual([key]);
    expect(JSON.stringify((await readSession(client)).user)).toContain("xxxx");

    // 3 chunks -> 2: `.2` is removed
    await refreshWithMetadata(client, user.id, 2);
    expect(client.sessionCookieNames()).toEqual([`${key}.0`, `${key}.1`]);
    expect(removed(client)).toEqual([`${key}.2`]);

    // chunked -> single: every chunk is removed
    await refreshWithMetadata(client, user.id, 1);
    expect(client.sessionCookieNames()).toEqual([key]);
    expect(removed(client)).toEqual([`${key}.0`, `${key}.1`]);

    // a stale `.5` chunk from some older session is removed on the next write
    await refreshWithMetadata(client, user.id, 1, `${key}.5`);
    expect(client.sessionCookieNames()).toEqual([key]);
    expect(removed(client)).toContain(`${key}.5`);
    expect((await readSession(client)).user.email).toBe(email);
  });
});
