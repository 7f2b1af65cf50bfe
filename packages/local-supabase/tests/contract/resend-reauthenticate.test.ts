import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureConfig } from "../fixture.ts";
import { parseDuration } from "../../src/auth/rate-limit.ts";
import {
  adminClient,
  authFetch,
  backend,
  client,
  database,
  onlyEmbedded,
  PASSWORD,
  signedInClient,
  tokenHashOf,
  uniqueEmail,
  waitForMail,
} from "./support.ts";
import { clientOf, startVariant } from "./variant.ts";

const project = fixtureConfig();
const versioned = { "x-supabase-api-version": "2024-01-01" };

async function mailsTo(mailboxUrl: string, address: string) {
  const list = (await (await fetch(`${mailboxUrl}/api/v1/messages`)).json()) as {
    messages: { ID: string; Subject: string; To: { Address: string }[] }[];
  };
  return list.messages.filter((message) => message.To.some((to) => to.Address.toLowerCase() === address.toLowerCase()));
}

async function waitForMailCount(mailboxUrl: string, address: string, count: number) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const found = await mailsTo(mailboxUrl, address);
    if (found.length >= count) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`fewer than ${count} mails to ${address}`);
}

/** The code a reauthentication mail carries (GoTrue's default template: "Enter the code: 123456"). */
async function reauthenticationCode(mailboxUrl: string, address: string): Promise<string> {
  const [newest] = await waitForMailCount(mailboxUrl, address, 1);
  const mail = (await (await fetch(`${mailboxUrl}/api/v1/message/${newest?.ID}`)).json()) as { Text: string; HTML: string };
  const code = new RegExp(`\\b(\\d{${project.auth.email.otp_length}})\\b`).exec(mail.Text || mail.HTML)?.[1];
  if (!code) throw new Error("no code in the reauthentication mail");
  return code;
}

/** GoTrue refuses a second mail to one address within max_frequency; wait it out, not assert on it. */
const pastMaxFrequency = () =>
  new Promise((resolve) => setTimeout(resolve, parseDuration(project.auth.email.max_frequency) + 200));

describe("POST /resend", () => {
  it("signup: mails the confirmation again to an unconfirmed user, whose link then confirms", async () => {
    const email = uniqueEmail("resend");
    const created = await adminClient().auth.admin.createUser({ email, password: PASSWORD });
    expect(created.error).toBeNull();
    const { error } = await client().auth.resend({ type: "signup", email });
    expect(error).toBeNull();
    const mail = await waitForMail(email);
    const verified = await client().auth.verifyOtp({ token_hash: tokenHashOf(mail), type: "signup" });
    expect(verified.error).toBeNull();
    expect(verified.data.user?.email_confirmed_at).toBeTruthy();
  });

  it("answers {} for an unknown or already confirmed address, mailing nothing", async () => {
    const unknown = await authFetch("/resend", { body: { type: "signup", email: uniqueEmail("nobody") } });
    expect(unknown.status).toBe(200);
    expect(unknown.body).toEqual({});
    const { user } = await signedInClient("resend-confirmed");
    const confirmed = await authFetch("/resend", { body: { type: "signup", email: user.email } });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toEqual({});
    expect(await mailsTo(backend.mailboxUrl, user.email)).toHaveLength(0);
  });

  it("refuses an unknown type and a missing address with GoTrue's 400s", async () => {
    const badType = await authFetch("/resend", { body: { type: "magiclink", email: "a@example.com" }, headers: versioned });
    expect(badType.status).toBe(400);
    expect(badType.body).toEqual({
      code: "validation_failed",
      message: "Missing one of these types: signup, email_change, sms, phone_change",
    });
    const noEmail = await authFetch("/resend", { body: { type: "signup" }, headers: versioned });
    expect(noEmail.status).toBe(400);
    expect(noEmail.body).toEqual({ code: "validation_failed", message: "Type provided requires an email address" });
    const phone = await client().auth.resend({ type: "sms", phone: "+15555550100" });
    expect(phone.error?.status).toBe(400);
    expect(phone.error?.code).toBe("phone_provider_disabled");
  });

  it.skipIf(!project.auth.email.enable_confirmations)(
    "email_change: mails the pending change again to the new address",
    async () => {
      const { supabase, user } = await signedInClient("resend-change");
      const newEmail = uniqueEmail("resend-new");
      const update = await supabase.auth.updateUser({ email: newEmail });
      expect(update.error).toBeNull();
      await waitForMailCount(backend.mailboxUrl, newEmail, 1);
      await pastMaxFrequency();
      const { error } = await supabase.auth.resend({ type: "email_change", email: user.email });
      expect(error).toBeNull();
      const mails = await waitForMailCount(backend.mailboxUrl, newEmail, 2);
      expect(mails).toHaveLength(2);
    },
  );
});

describe("GET /reauthenticate", () => {
  it("mails a code to the signed-in user", async () => {
    const { supabase, user } = await signedInClient("reauth");
    const { error } = await supabase.auth.reauthenticate();
    expect(error).toBeNull();
    expect(await reauthenticationCode(backend.mailboxUrl, user.email)).toMatch(/^\d+$/);
  });

  it("needs a session: 401 without one", async () => {
    const response = await authFetch("/reauthenticate", { headers: versioned });
    expect(response.status).toBe(401);
  });
});

describe.skipIf(onlyEmbedded)("embedded: [auth.email] secure_password_change = true", () => {
  let variant: Awaited<ReturnType<typeof startVariant>>;
  const sql = database();
  beforeAll(async () => {
    variant = await startVariant((config) => {
      config.auth.email.secure_password_change = true;
    });
  });
  afterAll(async () => {
    await variant?.stop();
    await sql.end();
  });

  async function signedIn() {
    const admin = clientOf(variant.backend, variant.backend.secretKey).auth.admin;
    const email = uniqueEmail("secure-change");
    await admin.createUser({ email, password: PASSWORD, email_confirm: true });
    const supabase = clientOf(variant.backend);
    const { data, error } = await supabase.auth.signInWithPassword({ email, password: PASSWORD });
    if (error) throw error;
    return { supabase, email, sessionId: String(JSON.parse(atob(data.session.access_token.split(".")[1] ?? "")).session_id) };
  }

  it("a session signed in within 24 hours changes the password without a nonce, as GoTrue", async () => {
    const { supabase } = await signedIn();
    const { error } = await supabase.auth.updateUser({ password: "another-long-password" });
    expect(error).toBeNull();
  });

  it("an older session needs the mailed nonce, which is used up by the change", async () => {
    const { supabase, email, sessionId } = await signedIn();
    await sql`update auth.sessions set created_at = now() - interval '25 hours' where id = ${sessionId}`;

    const without = await supabase.auth.updateUser({ password: "another-long-password" });
    expect(without.error?.status).toBe(400);
    expect(without.error?.code).toBe("reauthentication_needed");
    expect(without.error?.message).toBe("Password update requires reauthentication");

    const wrong = await supabase.auth.updateUser({ password: "another-long-password", nonce: "000000" });
    expect(wrong.error?.status).toBe(422);
    expect(wrong.error?.code).toBe("reauthentication_not_valid");

    expect((await supabase.auth.reauthenticate()).error).toBeNull();
    const nonce = await reauthenticationCode(variant.backend.mailUrl, email);
    const changed = await supabase.auth.updateUser({ password: "another-long-password", nonce });
    expect(changed.error).toBeNull();
    const again = await supabase.auth.updateUser({ password: "yet-another-password", nonce });
    expect(again.error?.code).toBe("reauthentication_not_valid");

    const signIn = await clientOf(variant.backend).auth.signInWithPassword({ email, password: "another-long-password" });
    expect(signIn.error).toBeNull();
  });
});
