import { describe, expect, it } from "vitest";
import { createConfirmedUser } from "../fixtures/admin.ts";
import { AppClient } from "../fixtures/app-client.ts";
import { uniqueEmail } from "../fixtures/mailbox.ts";
import { callServerFunction, useServerFunctions } from "../fixtures/server-functions.ts";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

const PASSWORD = "everywhere-password-1";
/** The middleware rereads the session revocation version at most this often (ADR 0035). */
const REVOCATION_CHECK_MS = 1_000;

const fn = useServerFunctions();

/** Another request from the same device: the same cookies, sent again. */
function sameDevice(client: AppClient): AppClient {
  const copy = new AppClient({ base: client.base, ip: client.ip });
  for (const [name, cookie] of client.jar) copy.jar.set(name, cookie);
  return copy;
}

async function realtimeAccess(client: AppClient) {
  const call = await callServerFunction(client, fn("getRealtimeAccess"), { args: [] });
  return { status: call.response.status, location: call.response.headers.get("location"), value: call.value };
}

async function signedIn(email: string): Promise<AppClient> {
  const client = new AppClient();
  await client.signIn(email, PASSWORD, "/protected");
  return client;
}

describe('"Sign out on all devices"', () => {
  it("signs the user's other devices out at their next request, whatever they ask for; another user stays signed in", async () => {
    const email = uniqueEmail("everywhere");
    await createConfirmedUser(email, PASSWORD);
    const bystanderEmail = uniqueEmail("everywhere-bystander");
    await createConfirmedUser(bystanderEmail, PASSWORD);
    const phone = await signedIn(email);
    const laptop = await signedIn(email);
    const bystander = await signedIn(bystanderEmail);

    // Seen and checked before the sign-out, so nothing but the change itself can sign it out.
    expect((await laptop.request("/protected")).status).toBe(200);
    const before = await realtimeAccess(sameDevice(laptop));
    expect(before.status).toBe(200);
    expect(before.value).toMatchObject({ accessToken: expect.any(String) });

    const signedOut = await phone.submit("/account", "signOut", { scope: "global" });
    expect(signedOut.status).toBe(302);
    expect(signedOut.headers.get("location")).toBe("/login?signed_out=1");
    expect(phone.sessionCookieNames()).toEqual([]);

    await new Promise((resolve) => setTimeout(resolve, REVOCATION_CHECK_MS + 100));
    const laptopRealtime = sameDevice(laptop);
    const laptopServerFunction = sameDevice(laptop);

    const page = await laptop.request("/protected");
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toBe("/login?next=%2Fprotected");
    expect(laptop.lastSetCookies.some((cookie) => /^sb-[^=]+-auth-token[^=]*=;.*Max-Age=0/i.test(cookie))).toBe(true);
    expect(laptop.sessionCookieNames()).toEqual([]);

    const refused = await realtimeAccess(laptopRealtime);
    expect(refused.status).toBe(401);
    expect(refused.location).toMatch(/^\/login\?next=/);
    expect(JSON.stringify(refused.value ?? null)).not.toContain("accessToken");
    expect(laptopRealtime.sessionCookieNames()).toEqual([]);

    const account = await callServerFunction(laptopServerFunction, fn("getAccount"), { args: [] });
    expect(account.response.status).toBe(401);
    expect(JSON.stringify(account.value ?? null)).not.toContain(email);
    expect(laptopServerFunction.sessionCookieNames()).toEqual([]);

    expect((await bystander.request("/protected")).status).toBe(200);
    expect((await realtimeAccess(bystander)).status).toBe(200);
    expect(bystander.sessionCookieNames()).not.toEqual([]);
  });

  it("signing out on this device only leaves the user's other devices signed in", async () => {
    const email = uniqueEmail("this-device");
    await createConfirmedUser(email, PASSWORD);
    const phone = await signedIn(email);
    const laptop = await signedIn(email);
    expect((await laptop.request("/protected")).status).toBe(200);

    await phone.submit("/account", "signOut", { scope: "local" });
    expect(phone.sessionCookieNames()).toEqual([]);
    // The phone's session row is gone, so the version moved: the laptop's session is looked up
    // again, and found.
    await new Promise((resolve) => setTimeout(resolve, REVOCATION_CHECK_MS + 100));
    expect((await laptop.request("/protected")).status).toBe(200);
    expect((await realtimeAccess(laptop)).status).toBe(200);
  });
});
