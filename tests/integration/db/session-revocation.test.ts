import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { sessionsPresent } from "../../../src/server/session/session-revocation.ts";
import type { VerifiedClaims } from "../../../src/server/db/client.ts";
import { BOB, claimsFor, createUser, only, pgFailure, useRlsDatabase } from "./support.ts";

const ctx = useRlsDatabase();

const counter = async () =>
  only(await ctx.db.sql<{ version: string }[]>`select version from public.session_revocation_version`).version;

/** A session row as the auth server writes one at sign-in. */
async function createSession(userId: string): Promise<string> {
  const row = only(
    await ctx.db.sql<{ id: string }[]>`
      insert into auth.sessions (id, user_id, created_at, updated_at, aal)
      values (gen_random_uuid(), ${userId}, now(), now(), 'aal1') returning id`,
  );
  return row.id;
}

const scalar = async <T>(claims: VerifiedClaims | null, query: ReturnType<typeof sql>): Promise<T> =>
  only(await ctx.database.rls(claims, (tx) => tx.execute<{ value: T }>(query))).value;

describe("public.session_revocation_version (what lets the middleware skip per-session lookups)", () => {
  it("moves once per statement that deletes sessions, and never for sign-ins, refreshes or deletes of nothing", async () => {
    const ivan = await createUser(ctx.db.sql, { email: "ivan@example.test" });
    let before = await counter();
    const [phone, laptop, tablet] = [await createSession(ivan), await createSession(ivan), await createSession(ivan)];
    await ctx.db.sql`update auth.sessions set refreshed_at = now(), updated_at = now() where id = ${phone}`;
    await ctx.db.sql`delete from auth.sessions where id = ${crypto.randomUUID()}`;
    expect(await counter()).toBe(before);

    // Sign out "others" from the phone: two rows, one statement, one step.
    await ctx.db.sql`delete from auth.sessions where user_id = ${ivan} and id <> ${phone}`;
    expect(BigInt(await counter()) - BigInt(before)).toBe(1n);
    expect(await sessionsPresent(ctx.database.admin, [phone, laptop, tablet])).toEqual(new Set([phone]));

    // Sign out "global".
    before = await counter();
    await ctx.db.sql`delete from auth.sessions where user_id = ${ivan}`;
    expect(BigInt(await counter()) - BigInt(before)).toBe(1n);
  });

  it("moves when a user is deleted (the sessions go with the user's row)", async () => {
    const judy = await createUser(ctx.db.sql, { email: "judy@example.test" });
    const session = await createSession(judy);
    const before = await counter();
    await ctx.db.sql`delete from auth.users where id = ${judy}`;
    expect(await counter()).not.toBe(before);
    expect(await sessionsPresent(ctx.database.admin, [session])).toEqual(new Set());
  });

  it("moves only when the sign-out commits: another connection never sees the new version with the session still there", async () => {
    const karl = await createUser(ctx.db.sql, { email: "karl@example.test" });
    const session = await createSession(karl);
    const before = await counter();
    await ctx.db.sql.begin(async (tx) => {
      await tx`delete from auth.sessions where user_id = ${karl}`;
      expect(await counter()).toBe(before);
      expect(await sessionsPresent(ctx.database.admin, [session])).toEqual(new Set([session]));
    });
    expect(await counter()).not.toBe(before);
    expect(await sessionsPresent(ctx.database.admin, [session])).toEqual(new Set());
  });

  it("cannot be read or moved by anon or authenticated, nor its trigger function called, nor auth.sessions read", async () => {
    for (const claims of [null, claimsFor(BOB)]) {
      for (const query of [
        sql`update public.session_revocation_version set version = version + 1 returning version as value`,
        sql`select version as value from public.session_revocation_version`,
        sql`select public.bump_version() as value`,
        sql`select count(*) as value from auth.sessions`,
      ]) {
        expect(await pgFailure(scalar(claims, query))).toMatchObject({ code: "42501" });
      }
    }
  });
});

describe("sessionsPresent (the middleware's batched lookup)", () => {
  it("answers for many ids in one query and ignores ids that are not uuids", async () => {
    const lena = await createUser(ctx.db.sql, { email: "lena@example.test" });
    const [first, second] = [await createSession(lena), await createSession(lena)];
    const gone = crypto.randomUUID();
    expect(await sessionsPresent(ctx.database.admin, [first, second, gone, "not-a-uuid", "'; drop table x; --"])).toEqual(
      new Set([first, second]),
    );
    expect(await sessionsPresent(ctx.database.admin, [first.toUpperCase()])).toEqual(new Set([first.toUpperCase()]));
  });
});
