import { describe, expect, it } from "vitest";
import {
  adminClient,
  backend,
  client,
  createConfirmedUser,
  decodeJwt,
  onlyEmbedded,
  PASSWORD,
  signedInClient,
  tokenHashOf,
  uniqueEmail,
  verifyLink,
  waitForMail,
} from "./support.ts";

// Every mail-reading test lives in this file: tests in one file run one after another, so the
// "delete all" test at the end cannot race another test's mail.
const appUrl = "http://localhost:3000/auth/callback";

describe("mail-driven flows (read through the Mailpit API)", () => {
  it("signup: the mailed verify link confirms and redirects with a session", async () => {
    const email = uniqueEmail("confirm-link");
    const { error } = await client().auth.signUp({ email, password: PASSWORD, options: { emailRedirectTo: appUrl } });
    expect(error).toBeNull();
    const link = verifyLink(await waitForMail(email));
    expect(link.searchParams.get("type")).toBe("signup");
    expect(link.searchParams.get("redirect_to")).toBe(appUrl);
    const response = await fetch(link, { redirect: "manual" });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get("location") ?? "");
    expect(`${location.origin}${location.pathname}`).toBe(appUrl);
    const fragment = new URLSearchParams(location.hash.slice(1));
    expect(fragment.get("type")).toBe("signup");
    expect(decodeJwt(fragment.get("access_token") ?? "").email).toBe(email);
    const signIn = await client().auth.signInWithPassword({ email, password: PASSWORD });
    expect(signIn.error).toBeNull();
  });

  it("signup: verifyOtp with the mail's token_hash (the app's /auth/confirm flow) signs in once", async () => {
    const email = uniqueEmail("confirm-hash");
    await client().auth.signUp({ email, password: PASSWORD });
    const tokenHash = tokenHashOf(await waitForMail(email));
    const supabase = client();
    const { data, error } = await supabase.auth.verifyOtp({ token_hash: tokenHash, type: "signup" });
    expect(error).toBeNull();
    expect(data.session?.user.email).toBe(email);
    expect(data.user?.email_confirmed_at).toBeTruthy();
    expect(decodeJwt(data.session?.access_token ?? "").amr).toEqual([{ method: "otp", timestamp: expect.any(Number) }]);
    const again = await client().auth.verifyOtp({ token_hash: tokenHash, type: "signup" });
    expect(again.error?.status).toBe(403);
    expect(again.error?.code).toBe("otp_expired");
  });

  it.skipIf(onlyEmbedded)("embedded: the mail also links to the app's /auth/confirm with token_hash", async () => {
    const email = uniqueEmail("template");
    await client().auth.signUp({ email, password: PASSWORD, options: { emailRedirectTo: appUrl } });
    const mail = await waitForMail(email);
    const appLink = /http:\/\/localhost:3000\/auth\/confirm\?[^\s"<]+/.exec(mail.Text)?.[0] ?? "";
    const url = new URL(appLink);
    expect(url.searchParams.get("token_hash")).toBe(tokenHashOf(mail));
    expect(url.searchParams.get("type")).toBe("signup");
    expect(url.searchParams.get("next")).toBe(appUrl);
  });

  it("magic link: signInWithOtp mails a link whose token_hash signs in", async () => {
    const user = await createConfirmedUser("magic");
    const { error } = await client().auth.signInWithOtp({ email: user.email, options: { shouldCreateUser: false } });
    expect(error).toBeNull();
    const mail = await waitForMail(user.email);
    expect(verifyLink(mail).searchParams.get("type")).toBe("magiclink");
    const { data, error: verifyError } = await client().auth.verifyOtp({
      token_hash: tokenHashOf(mail),
      type: "magiclink",
    });
    expect(verifyError).toBeNull();
    expect(data.session?.user.id).toBe(user.id);
  });

  it.skipIf(onlyEmbedded)("embedded: the mailed code works with verifyOtp({email, token, type: 'email'})", async () => {
    const user = await createConfirmedUser("code");
    await client().auth.signInWithOtp({ email: user.email });
    const code = /code: (\d{6})/.exec((await waitForMail(user.email)).Text)?.[1] ?? "";
    const { data, error } = await client().auth.verifyOtp({ email: user.email, token: code, type: "email" });
    expect(error).toBeNull();
    expect(data.session?.user.id).toBe(user.id);
  });

  it("magic link for an unknown address without shouldCreateUser: 422 otp_disabled", async () => {
    const { error } = await client().auth.signInWithOtp({
      email: uniqueEmail("nouser"),
      options: { shouldCreateUser: false },
    });
    expect(error?.status).toBe(422);
    expect(error?.code).toBe("otp_disabled");
  });

  it("recovery: reset mail, verify, set a new password", async () => {
    const user = await createConfirmedUser("recover");
    const { error } = await client().auth.resetPasswordForEmail(user.email, { redirectTo: appUrl });
    expect(error).toBeNull();
    const mail = await waitForMail(user.email);
    expect(verifyLink(mail).searchParams.get("type")).toBe("recovery");
    const supabase = client();
    const verified = await supabase.auth.verifyOtp({ token_hash: tokenHashOf(mail), type: "recovery" });
    expect(verified.error).toBeNull();
    const updated = await supabase.auth.updateUser({ password: "a-brand-new-password" });
    expect(updated.error).toBeNull();
    const signIn = await client().auth.signInWithPassword({ email: user.email, password: "a-brand-new-password" });
    expect(signIn.error).toBeNull();
  });

  it("recovery for an unknown address answers success without a mail", async () => {
    const { error } = await client().auth.resetPasswordForEmail(uniqueEmail("ghost"));
    expect(error).toBeNull();
  });

  it("email change: both addresses confirm (double confirmation), then the email changes", async () => {
    const { supabase, user } = await signedInClient("change");
    const newEmail = uniqueEmail("changed");
    const { data, error } = await supabase.auth.updateUser({ email: newEmail });
    expect(error).toBeNull();
    expect(data.user?.new_email).toBe(newEmail);
    const toNew = await waitForMail(newEmail);
    const toCurrent = await waitForMail(user.email, /change/i);
    const first = await client().auth.verifyOtp({ token_hash: tokenHashOf(toNew), type: "email_change" });
    expect(first.error).toBeNull();
    expect(first.data.session).toBeNull();
    const second = await client().auth.verifyOtp({ token_hash: tokenHashOf(toCurrent), type: "email_change" });
    expect(second.error).toBeNull();
    expect(second.data.user?.email).toBe(newEmail);
  });

  it("invite: the invited user signs in from the mailed link", async () => {
    const email = uniqueEmail("invite");
    const { error } = await adminClient().auth.admin.inviteUserByEmail(email);
    expect(error).toBeNull();
    const mail = await waitForMail(email);
    expect(verifyLink(mail).searchParams.get("type")).toBe("invite");
    const { data, error: verifyError } = await client().auth.verifyOtp({ token_hash: tokenHashOf(mail), type: "invite" });
    expect(verifyError).toBeNull();
    expect(data.session?.user.email).toBe(email);
  });

  it("an invalid verify link redirects with error_code=otp_expired in the fragment", async () => {
    const url = `${backend.authUrl}/verify?token=deadbeef&type=signup&redirect_to=${encodeURIComponent(appUrl)}`;
    const response = await fetch(url, { redirect: "manual" });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get("location") ?? "");
    expect(new URLSearchParams(location.hash.slice(1)).get("error_code")).toBe("otp_expired");
  });

  it("PKCE signup: the verify link redirects with ?code= that exchanges for a session", async () => {
    const email = uniqueEmail("pkce-mail");
    const supabase = client({ flowType: "pkce" });
    await supabase.auth.signUp({ email, password: PASSWORD, options: { emailRedirectTo: appUrl } });
    const link = verifyLink(await waitForMail(email));
    expect(link.searchParams.get("token")).toMatch(/^pkce_/);
    const response = await fetch(link, { redirect: "manual" });
    const code = new URL(response.headers.get("location") ?? "").searchParams.get("code") ?? "";
    expect(code).not.toBe("");
    const { data, error } = await supabase.auth.exchangeCodeForSession(code);
    expect(error).toBeNull();
    expect(data.session?.user.email).toBe(email);
  });

  it("the mailbox lists, reads and deletes messages like Mailpit", async () => {
    const email = uniqueEmail("mailbox");
    await client().auth.signUp({ email, password: PASSWORD });
    const mail = await waitForMail(email);
    expect(mail.ID).toEqual(expect.any(String));
    expect(mail.HTML).toContain("verify");
    const list = (await (await fetch(`${backend.mailboxUrl}/api/v1/messages`)).json()) as {
      messages: { ID: string; From: { Address: string }; Created: string }[];
    };
    const entry = list.messages.find((message) => message.ID === mail.ID);
    expect(entry?.From.Address).toEqual(expect.any(String));
    expect(Date.parse(entry?.Created ?? "")).not.toBeNaN();
    const page = await fetch(`${backend.mailboxUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    await page.arrayBuffer();
    const deleted = await fetch(`${backend.mailboxUrl}/api/v1/messages`, { method: "DELETE" });
    expect(deleted.status).toBe(200);
    await deleted.arrayBuffer();
    const after = (await (await fetch(`${backend.mailboxUrl}/api/v1/messages`)).json()) as { messages: unknown[] };
    expect(after.messages).toEqual([]);
  });
});
