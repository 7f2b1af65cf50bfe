import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { useRlsDatabase } from "./support.ts";

/*
 * public.mfa_verification_attempt_hook (ADR 0042) called as GoTrue calls it: as
 * supabase_auth_admin, with the input GoTrue sends for each TOTP code it has checked.
 */

const ctx = useRlsDatabase();

async function attempt(userId: string, valid: boolean): Promise<Record<string, unknown>> {
  const event = { user_id: userId, factor_id: randomUUID(), factor_type: "totp", valid };
  const [row] = await ctx.db.sql.begin(async (tx) => {
    await tx`set local role supabase_auth_admin`;
    const rows = await tx<{ output: Record<string, unknown> }[]>`
      select public.mfa_verification_attempt_hook(${tx.json(event)}) as output`;
    return [...rows];
  });
  return row?.output ?? {};
}

const decisions = async (userId: string, valid: boolean[]) => {
  const result: unknown[] = [];
  for (const each of valid) result.push((await attempt(userId, each)).decision);
  return result;
};

describe("the MFA verification attempt hook", () => {
  it("lets 5 wrong codes be checked, then rejects every code of the user, right ones too; right codes do not count", async () => {
    const user = randomUUID();
    expect(await decisions(user, [true, false, true, false, true, false, false, false])).toEqual(Array(8).fill("continue"));
    const rejected = await attempt(user, true);
    expect(rejected).toEqual({
      decision: "reject",
      message: "Too many wrong codes. You have been signed out; sign in again in a few minutes.",
    });
    expect(await decisions(user, [false, true])).toEqual(["reject", "reject"]);
    // Another user's codes are counted apart.
    expect(await decisions(randomUUID(), [false, true])).toEqual(["continue", "continue"]);
  });

  it("the window passes: 5 minutes after the first wrong code the user starts again", async () => {
    const user = randomUUID();
    await decisions(user, Array(5).fill(false));
    expect((await attempt(user, true)).decision).toBe("reject");
    await ctx.db.sql`update public.rate_limits set window_started_at = now() - interval '301 seconds'
                     where key = ${`mfa-verification-attempt:${user}`}`;
    expect(await decisions(user, [true, false])).toEqual(["continue", "continue"]);
  });

  it("no API role may call it", async () => {
    for (const role of ["anon", "authenticated", "service_role"]) {
      const refused = ctx.db.sql.begin(async (tx) => {
        await tx.unsafe(`set local role ${role}`);
        await tx`select public.mfa_verification_attempt_hook('{}'::jsonb)`;
      });
      await expect(refused, role).rejects.toMatchObject({ code: "42501" });
    }
  });
});
