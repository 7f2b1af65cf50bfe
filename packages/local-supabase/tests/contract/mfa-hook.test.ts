import { randomUUID } from "node:crypto";
import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { database, onlyEmbedded, PASSWORD, uniqueEmail } from "./support.ts";
import { totp, wrongCode } from "./totp-codes.ts";
import { clientOf, startVariant } from "./variant.ts";

/*
 * `[auth.hook.mfa_verification_attempt]` as GoTrue runs it: a second backend on the same database
 * calls the function these tests define (and redefine per case) on every TOTP verify.
 * Embedded only: it needs its own config.toml settings and SQL access.
 */

const HOOK = `contract_mfa_hook_${randomUUID().slice(0, 8)}`;
const CALLS = `${HOOK}_calls`;

type Variant = Awaited<ReturnType<typeof startVariant>>;

/** Replaces the hook function's body; EXECUTE for supabase_auth_admin only, as Supabase asks. */
async function defineHook(body: string, grant = true): Promise<void> {
  const sql = database();
  try {
    await sql.unsafe(`
      create or replace function public.${HOOK}(event jsonb) returns jsonb
      language plpgsql set search_path = '' as $$
      begin
        insert into public.${CALLS} (event, role) values (event, current_user);
        ${body}
      end $$;
      revoke execute on function public.${HOOK}(jsonb) from public, anon, authenticated, service_role, supabase_auth_admin;
      ${grant ? `grant execute on function public.${HOOK}(jsonb) to supabase_auth_admin;` : ""}`);
  } finally {
    await sql.end();
  }
}

async function hookCalls(userId: string): Promise<{ event: Record<string, unknown>; role: string }[]> {
  const sql = database();
  try {
    return await sql.unsafe(`select event, role from public.${CALLS} where event ->> 'user_id' = $1 order by id`, [userId]);
  } finally {
    await sql.end();
  }
}

async function signIn(variant: Variant, email: string): Promise<SupabaseClient> {
  const supabase = clientOf(variant.backend);
  const { error } = await supabase.auth.signInWithPassword({ email, password: PASSWORD });
  if (error) throw error;
  return supabase;
}

/** A user with a verified factor (enrolled while the hook lets everything through). */
async function userWithFactor(variant: Variant) {
  await defineHook(`return jsonb_build_object('decision', 'continue');`);
  const email = uniqueEmail("mfa-hook");
  const admin = clientOf(variant.backend, variant.backend.secretKey);
  const created = await admin.auth.admin.createUser({ email, password: PASSWORD, email_confirm: true });
  if (created.error) throw created.error;
  const supabase = await signIn(variant, email);
  const enrolled = await supabase.auth.mfa.enroll({ factorType: "totp", friendlyName: "app" });
  if (enrolled.error) throw enrolled.error;
  const secret = enrolled.data.totp.secret;
  const verified = await supabase.auth.mfa.challengeAndVerify({ factorId: enrolled.data.id, code: totp(secret) });
  if (verified.error) throw verified.error;
  return { email, userId: created.data.user.id, factorId: enrolled.data.id, secret, aal2: supabase };
}

describe.skipIf(onlyEmbedded)("embedded: [auth.hook.mfa_verification_attempt]", () => {
  let variant: Variant;
  beforeAll(async () => {
    const sql = database();
    try {
      // The function runs as its caller, so it records who that is.
      await sql.unsafe(`
        create table public.${CALLS} (id bigserial primary key, event jsonb not null, role text not null);
        grant insert on table public.${CALLS} to supabase_auth_admin;
        grant usage on sequence public.${CALLS}_id_seq to supabase_auth_admin;`);
    } finally {
      await sql.end();
    }
    variant = await startVariant((config) => {
      config.auth.hook.mfa_verification_attempt = { enabled: true, uri: `pg-functions://postgres/public/${HOOK}` };
    });
  });
  afterAll(async () => {
    await variant?.stop();
    const sql = database();
    try {
      await sql.unsafe(`drop function if exists public.${HOOK}(jsonb); drop table if exists public.${CALLS}`);
    } finally {
      await sql.end();
    }
  });

  it("is called on every TOTP verify, right or wrong, as supabase_auth_admin, with GoTrue's input", async () => {
    const { userId, factorId, secret, email } = await userWithFactor(variant);
    const supabase = await signIn(variant, email);
    const wrong = await supabase.auth.mfa.challengeAndVerify({ factorId, code: wrongCode(totp(secret)) });
    expect(wrong.error?.status).toBe(422);
    expect(wrong.error?.code).toBe("mfa_verification_failed");
    const right = await supabase.auth.mfa.challengeAndVerify({ factorId, code: totp(secret) });
    expect(right.error).toBeNull();

    const calls = await hookCalls(userId);
    expect(calls.map((call) => call.event.valid)).toEqual([true, false, true]);
    for (const call of calls) {
      expect(call.role).toBe("supabase_auth_admin");
      expect(call.event).toMatchObject({ user_id: userId, factor_id: factorId, factor_type: "totp" });
      expect(call.event.metadata).toMatchObject({ name: "mfa-verification", uuid: expect.any(String) });
    }
  });

  it('"reject" answers 403 mfa_verification_rejected with its message, even for a right code, and ends every session of the user', async () => {
    const { userId, factorId, secret, email, aal2 } = await userWithFactor(variant);
    const supabase = await signIn(variant, email);
    await defineHook(`return jsonb_build_object('decision', 'reject', 'message', 'Too many codes.');`);
    const rejected = await supabase.auth.mfa.challengeAndVerify({ factorId, code: totp(secret) });
    expect(rejected.error?.status).toBe(403);
    expect(rejected.error?.code).toBe("mfa_verification_rejected");
    expect(rejected.error?.message).toBe("Too many codes.");
    expect((await hookCalls(userId)).at(-1)?.event.valid).toBe(true);
    // Signed out everywhere: the attacker's aal1 session and the owner's aal2 one alike.
    for (const client of [supabase, aal2]) {
      const { error } = await client.auth.refreshSession();
      expect(error?.code).toMatch(/^(session_not_found|refresh_token_not_found)$/);
    }
  });

  it('"reject" without a message gets GoTrue\'s default one', async () => {
    const { factorId, secret, email } = await userWithFactor(variant);
    const supabase = await signIn(variant, email);
    await defineHook(`return jsonb_build_object('decision', 'reject');`);
    const rejected = await supabase.auth.mfa.challengeAndVerify({ factorId, code: wrongCode(totp(secret)) });
    expect(rejected.error?.status).toBe(403);
    expect(rejected.error?.message).toBe("Further MFA verification attempts will be rejected.");
  });

  it("an error object is answered with its http_code and message; without a code it is a 500", async () => {
    const { factorId, secret, email } = await userWithFactor(variant);
    const supabase = await signIn(variant, email);
    await defineHook(`return jsonb_build_object('error', jsonb_build_object('http_code', 429, 'message', 'Slow down'));`);
    const limited = await supabase.auth.mfa.challengeAndVerify({ factorId, code: totp(secret) });
    expect(limited.error?.status).toBe(429);
    expect(limited.error?.message).toBe("Slow down");

    await defineHook(`return jsonb_build_object('error', jsonb_build_object('message', 'Broken'));`);
    const broken = await supabase.auth.mfa.challengeAndVerify({ factorId, code: totp(secret) });
    expect(broken.error?.status).toBe(500);
    expect(broken.error?.message).toBe("Broken");

    // An empty message is no error: the code decides.
    await defineHook(`return jsonb_build_object('error', jsonb_build_object('http_code', 400, 'message', ''));`);
    expect((await supabase.auth.mfa.challengeAndVerify({ factorId, code: totp(secret) })).error).toBeNull();
  });

  it("a failing, unreadable or forbidden function is a 500, and the code is not accepted", async () => {
    const { factorId, secret, email } = await userWithFactor(variant);
    const supabase = await signIn(variant, email);
    const uri = `pg-functions://postgres/public/${HOOK}`;

    await defineHook(`raise exception 'hook bug';`);
    const raised = await supabase.auth.mfa.challengeAndVerify({ factorId, code: totp(secret) });
    expect(raised.error?.status).toBe(500);
    // auth-js reads every 5xx as a server failure worth retrying, without a code.
    expect(raised.error?.name).toBe("AuthRetryableFetchError");
    expect(raised.error?.message).toBe(`Error running hook URI: ${uri}`);

    await defineHook(`return jsonb_build_object('decision', 'continue');`, false);
    const forbidden = await supabase.auth.mfa.challengeAndVerify({ factorId, code: totp(secret) });
    expect(forbidden.error?.message).toBe(`Error running hook URI: ${uri}`);

    await defineHook(`return to_jsonb('continue'::text);`);
    const unreadable = await supabase.auth.mfa.challengeAndVerify({ factorId, code: totp(secret) });
    expect(unreadable.error?.status).toBe(500);
    expect(unreadable.error?.message).toBe("Error unmarshaling JSON output.");

    const aal = await supabase.auth.mfa.getAuthenticatorAssuranceLevel();
    expect(aal.data?.currentLevel).toBe("aal1");
  });

  it("a function that does not exist is a 500 on verify; challenges still work", async () => {
    const missing = await startVariant((config) => {
      config.auth.hook.mfa_verification_attempt = { enabled: true, uri: "pg-functions://postgres/public/no_such_hook" };
    });
    try {
      const { factorId, secret, email } = await userWithFactor(variant);
      const supabase = await signIn(missing, email);
      const challenge = await supabase.auth.mfa.challenge({ factorId });
      expect(challenge.error).toBeNull();
      const { error } = await supabase.auth.mfa.verify({ factorId, challengeId: challenge.data?.id ?? "", code: totp(secret) });
      expect(error?.status).toBe(500);
      expect(error?.message).toBe("Error running hook URI: pg-functions://postgres/public/no_such_hook");
    } finally {
      await missing.stop();
    }
  });
});
