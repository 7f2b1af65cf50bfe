import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";
import { createConfirmedUser } from "../fixtures/admin.ts";
import { AppClient } from "../fixtures/app-client.ts";
import { uniqueEmail } from "../fixtures/mailbox.ts";
import { readSession } from "../fixtures/session-tokens.ts";
import { decodeJwt } from "jose";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

const run = promisify(execFile);

function roleCli(...args: string[]) {
  return run(process.execPath, ["--import", "tsx", "scripts/role.ts", ...args], {
    env: { ...process.env, ADMIN_DATABASE_URL: inject("appDatabaseUrl") },
  });
}

function userRole(client: AppClient) {
  return readSession(client).then((session) => decodeJwt(session.access_token).app_metadata as { user_role?: string });
}

describe("npm run role", () => {
  it("grant and revoke apply on the user's next request, without signing them out", async () => {
    const email = uniqueEmail("promoted");
    await createConfirmedUser(email, "promoted-password-1");
    const client = new AppClient();
    await client.signIn(email, "promoted-password-1", "/protected");

    const granted = await roleCli("grant", email, "moderator");
    expect(granted.stdout).toMatch(/granted moderator to/);
    const afterGrant = await client.request("/moderation");
    expect(afterGrant.status).toBe(200);
    expect((await userRole(client)).user_role).toBe("moderator");

    const listed = await roleCli("list", "moderator");
    expect(listed.stdout).toContain(email);

    const revoked = await roleCli("revoke", email, "moderator");
    expect(revoked.stdout).toMatch(/revoked moderator from/);
    const afterRevoke = await client.request("/moderation");
    expect(afterRevoke.status).toBe(403);
    expect((await userRole(client)).user_role).toBeUndefined();
    expect((await client.request("/protected")).status).toBe(200);
  });

  it("applies within a second even for a user whose token was checked a moment before", async () => {
    const email = uniqueEmail("promoted-busy");
    await createConfirmedUser(email, "promoted-password-2");
    const client = new AppClient();
    await client.signIn(email, "promoted-password-2", "/protected");
    // Checked and remembered as current: without the change counter this answer would be reused.
    expect((await client.request("/protected")).status).toBe(200);
    expect((await client.request("/moderation")).status).toBe(403);

    await roleCli("grant", email, "moderator");
    // The middleware reads public.app_metadata_version at most once a second.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await client.request("/moderation")).status).toBe(200);
    expect((await userRole(client)).user_role).toBe("moderator");
  });

  it("refuses an unknown user or role with a clear message", async () => {
    await expect(roleCli("grant", "nobody-here@example.com", "moderator")).rejects.toThrow(/nobody-here@example.com/);
    await expect(roleCli("grant", "bob@example.com", "admin")).rejects.toThrow(/unknown role "admin"/);
  });
});
