import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt, onlyEmbedded, PASSWORD, uniqueEmail } from "./support.ts";
import { clientOf, startVariant } from "./variant.ts";

interface Mailbox {
  messages: { ID: string; To: { Address: string }[] }[];
}

async function tokenHashMailedTo(mailboxUrl: string, address: string): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const list = (await (await fetch(`${mailboxUrl}/api/v1/messages`)).json()) as Mailbox;
    const found = list.messages.find((message) => message.To.some((to) => to.Address === address));
    if (found) {
      const mail = (await (await fetch(`${mailboxUrl}/api/v1/message/${found.ID}`)).json()) as { Text: string };
      const token = /\/verify\?token=([^&\s]+)/.exec(mail.Text)?.[1];
      if (token) return token;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no verify link mailed to ${address}`);
}

/**
 * The shared backend follows this project's config.toml, where anonymous sign-ins are off (that
 * answer is checked against either backend in edges.test.ts); "on" needs a second embedded backend.
 */
describe.skipIf(onlyEmbedded)("embedded: [auth] enable_anonymous_sign_ins = true", () => {
  let variant: Awaited<ReturnType<typeof startVariant>>;
  let confirmationsOff: Awaited<ReturnType<typeof startVariant>>;
  beforeAll(async () => {
    variant = await startVariant((config) => {
      config.auth.enable_anonymous_sign_ins = true;
      config.auth.email.enable_confirmations = true;
    });
    confirmationsOff = await startVariant((config) => {
      config.auth.enable_anonymous_sign_ins = true;
      config.auth.email.enable_confirmations = false;
    });
  });
  afterAll(async () => {
    await variant?.stop();
    await confirmationsOff?.stop();
  });

  it("signInAnonymously: a session whose token says is_anonymous with amr anonymous", async () => {
    const supabase = clientOf(variant.backend);
    const { data, error } = await supabase.auth.signInAnonymously({ options: { data: { nickname: "guest" } } });
    expect(error).toBeNull();
    expect(data.user?.is_anonymous).toBe(true);
    expect(data.user?.email ?? "").toBe("");
    expect(data.user?.identities).toEqual([]);
    expect(data.user?.user_metadata).toMatchObject({ nickname: "guest" });
    const claims = decodeJwt(data.session?.access_token ?? "");
    expect(claims.is_anonymous).toBe(true);
    expect(claims.role).toBe("authenticated");
    expect(claims.amr).toEqual([expect.objectContaining({ method: "anonymous" })]);
    expect((await supabase.auth.getUser()).data.user?.is_anonymous).toBe(true);
  });

  it("a password without an address is refused for an anonymous user", async () => {
    const supabase = clientOf(variant.backend);
    await supabase.auth.signInAnonymously();
    const { error } = await supabase.auth.updateUser({ password: PASSWORD });
    expect(error?.status).toBe(422);
    expect(error?.code).toBe("validation_failed");
  });

  it("converts by updateUser({ email }) and the confirmation: then permanent, with an email identity", async () => {
    const supabase = clientOf(variant.backend);
    const signedIn = await supabase.auth.signInAnonymously();
    const id = signedIn.data.user?.id;
    const email = uniqueEmail("convert");
    const update = await supabase.auth.updateUser({ email });
    expect(update.error).toBeNull();
    expect(update.data.user?.new_email).toBe(email);
    expect(update.data.user?.is_anonymous).toBe(true);

    const tokenHash = await tokenHashMailedTo(variant.backend.mailUrl, email);
    const verified = await clientOf(variant.backend).auth.verifyOtp({ token_hash: tokenHash, type: "email_change" });
    expect(verified.error).toBeNull();
    expect(verified.data.user?.id).toBe(id);
    expect(verified.data.user?.email).toBe(email);
    expect(verified.data.user?.is_anonymous).toBe(false);
    expect(verified.data.user?.identities?.map((identity) => identity.provider)).toEqual(["email"]);
    expect(decodeJwt(verified.data.session?.access_token ?? "").is_anonymous).toBe(false);

    const refreshed = await supabase.auth.refreshSession();
    expect(decodeJwt(refreshed.data.session?.access_token ?? "").is_anonymous).toBe(false);
    const password = await supabase.auth.updateUser({ password: PASSWORD });
    expect(password.error).toBeNull();
    const again = await clientOf(variant.backend).auth.signInWithPassword({ email, password: PASSWORD });
    expect(again.data.user?.id).toBe(id);
  });

  it("with confirmations off the address is taken at once, as GoTrue's autoconfirm does", async () => {
    const supabase = clientOf(confirmationsOff.backend);
    await supabase.auth.signInAnonymously();
    const email = uniqueEmail("convert-auto");
    const { data, error } = await supabase.auth.updateUser({ email });
    expect(error).toBeNull();
    expect(data.user?.email).toBe(email);
    expect(data.user?.is_anonymous).toBe(false);
    expect(data.user?.email_confirmed_at).toBeTruthy();
  });

  it("/settings says anonymous users are on", async () => {
    const response = await fetch(`${variant.backend.apiUrl}/auth/v1/settings`, {
      headers: { apikey: variant.backend.publishableKey },
    });
    expect(((await response.json()) as { external: { anonymous_users: boolean } }).external.anonymous_users).toBe(true);
  });
});
