import { sql } from "drizzle-orm";
import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { createDatabase, type VerifiedClaims } from "../../../src/server/db/client.ts";
import { messages } from "../../../src/server/db/schema.ts";
import { ALICE, BOB, claimsFor, only, pgFailure, useRlsDatabase } from "./support.ts";

const ctx = useRlsDatabase();

interface Context extends Record<string, unknown> {
  current_user: string;
  session_user: string;
  is_superuser: string;
  claims: string | null;
  sub: string | null;
  uid: string | null;
}

const whoAmI = sql`select current_user, session_user, current_setting('is_superuser') as is_superuser,
  nullif(current_setting('request.jwt.claims', true), '') as claims,
  nullif(current_setting('request.jwt.claim.sub', true), '') as sub,
  auth.uid() as uid`;

describe("rls(): role and claims", () => {
  it("runs as authenticated with the claims of the token", async () => {
    const claims = claimsFor(BOB);
    const row = only(await ctx.database.rls(claims, (tx) => tx.execute<Context>(whoAmI)));
    expect(row).toMatchObject({ current_user: "authenticated", session_user: "rls_client", uid: BOB, sub: BOB });
    expect(JSON.parse(String(row.claims))).toEqual(claims);
  });

  it("runs as anon without claims", async () => {
    const row = only(await ctx.database.rls(null, (tx) => tx.execute<Context>(whoAmI)));
    expect(row).toMatchObject({ current_user: "anon", uid: null, sub: null });
    expect(JSON.parse(String(row.claims))).toEqual({ role: "anon" });
  });

  it("refuses tokens of other roles and malformed subjects before touching the database", async () => {
    const query = () => Promise.resolve([]);
    await expect(ctx.database.rls({ ...claimsFor(BOB), role: "service_role" }, query)).rejects.toThrow(/role "service_role"/);
    await expect(ctx.database.rls({ ...claimsFor(BOB), sub: "1' or '1'='1" }, query)).rejects.toThrow(/sub/);
  });

  it("set_config('role') drops superuser like SET LOCAL ROLE, even on a superuser connection", async () => {
    // A misconfigured DATABASE_URL pointing at a superuser must still get RLS inside rls().
    const superuserApp = createDatabase({ url: ctx.db.url, adminUrl: ctx.db.url, max: 1 });
    try {
      const [row] = await superuserApp.rls(claimsFor(BOB), (tx) => tx.execute<Context>(whoAmI));
      expect(row).toMatchObject({ current_user: "authenticated", session_user: "postgres", is_superuser: "off" });
      const countries = await superuserApp.rls(claimsFor(BOB), (tx) => tx.execute(sql`select * from countries`));
      expect(countries).toHaveLength(0);
    } finally {
      await superuserApp.end();
    }
  });

  it("round-trips claims with quotes, backslashes, unicode and nested JSON without splicing", async () => {
    const nasty = `'); set role postgres; select ('\\"ü😀\u0000-free`.replace("\u0000", "");
    const claims: VerifiedClaims = claimsFor(BOB, {
      note: nasty,
      nested: { list: [1, "two", { three: [null, true] }], "key with 'quote'": '"double"' },
    });
    claims.email = "o'brien+ü@example.test";
    claims.user_metadata = { $$: "$$; drop table messages; $$", emoji: "👋🏽" };
    const row = only(
      await ctx.database.rls(claims, (tx) =>
        tx.execute<{ jwt: unknown; email: string; user: string }>(
          sql`select auth.jwt() as jwt, auth.email() as email, current_user as user`,
        ),
      ),
    );
    expect(row.jwt).toEqual(claims);
    expect(row.email).toBe("o'brien+ü@example.test");
    expect(row.user).toBe("authenticated");
    expect(only(await ctx.db.sql`select count(*)::int as count from messages`).count).toBeGreaterThan(0);
  });
});

describe("rls(): transaction boundaries", () => {
  it("commits on success and rolls back everything when the callback throws", async () => {
    const committed = crypto.randomUUID();
    const rolledBack = crypto.randomUUID();
    await ctx.database.rls(claimsFor(BOB), (tx) => tx.insert(messages).values({ id: committed, body: "kept" }));
    await expect(
      ctx.database.rls(claimsFor(BOB), async (tx) => {
        await tx.insert(messages).values({ id: rolledBack, body: "lost" });
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    const rows = await ctx.db.sql`select id from messages where id in (${committed}, ${rolledBack})`;
    expect(rows.map((row) => row.id)).toEqual([committed]);
  });

  it("reports a rollback caused by a statement the callback did not wait for", async () => {
    const id = crypto.randomUUID();
    const outcome = ctx.database.rls(claimsFor(BOB), async (tx) => {
      void tx.execute(sql`select 1 / 0`).catch(() => undefined);
      await tx
        .insert(messages)
        .values({ id, body: "never committed" })
        .catch(() => undefined);
      return "looks fine";
    });
    await expect(outcome).rejects.toThrow(/rolled back/);
    expect(await ctx.db.sql`select 1 from messages where id = ${id}`).toHaveLength(0);
  });

  it("supports nested transactions as savepoints", async () => {
    const outer = crypto.randomUUID();
    const inner = crypto.randomUUID();
    await ctx.database.rls(claimsFor(BOB), async (tx) => {
      await tx.insert(messages).values({ id: outer, body: "outer" });
      await expect(
        tx.transaction(async (nested) => {
          await nested.insert(messages).values({ id: inner, body: "inner" });
          throw new Error("undo inner");
        }),
      ).rejects.toThrow("undo inner");
      expect(only(await tx.execute<{ uid: string }>(sql`select auth.uid() as uid`)).uid).toBe(BOB);
    });
    const rows = await ctx.db.sql`select id from messages where id in (${outer}, ${inner})`;
    expect(rows.map((row) => row.id)).toEqual([outer]);
  });

  it("leaves no claims and no role on the connection after an error", async () => {
    const single = createDatabase({ url: ctx.rlsUrl, adminUrl: ctx.db.url, max: 1 });
    const raw = postgres(ctx.rlsUrl, { max: 1, onnotice: () => undefined });
    try {
      expect(await pgFailure(single.rls(claimsFor(BOB), (tx) => tx.execute(sql`select 1 / 0`)))).toMatchObject({
        code: "22012",
      });
      await expect(
        single.rls(claimsFor(BOB), async () => {
          throw new Error("thrown in the callback");
        }),
      ).rejects.toThrow("thrown in the callback");
      // The pool's only connection, next used for a signed-out request: nothing of Bob is left.
      const after = only(await single.rls(null, (tx) => tx.execute<Context>(whoAmI)));
      expect(after).toMatchObject({ current_user: "anon", uid: null, sub: null });
      expect(JSON.parse(String(after.claims))).toEqual({ role: "anon" });
      // The mechanism underneath, on a bare connection: after a failed transaction the login role
      // and empty settings are back.
      await raw
        .begin(async (tx) => {
          await tx`select set_config('request.jwt.claim.sub', ${BOB}, true), set_config('role', 'authenticated', true)`;
          await tx`select 1 / 0`;
        })
        .catch(() => undefined);
      const plain = only(
        await raw<Context[]>`
        select current_user, nullif(current_setting('request.jwt.claims', true), '') as claims,
               nullif(current_setting('request.jwt.claim.sub', true), '') as sub`,
      );
      expect(plain).toMatchObject({ current_user: "rls_client", claims: null, sub: null });
    } finally {
      await single.end();
      await raw.end();
    }
  });

  it("never shows one user's claims to another: 1000 interleaved transactions (reads and read-writes) on 3 connections", async () => {
    const small = createDatabase({ url: ctx.rlsUrl, adminUrl: ctx.db.url, max: 3 });
    try {
      const users = Array.from({ length: 25 }, () => crypto.randomUUID());
      const results = await Promise.allSettled(
        Array.from({ length: 1000 }, async (_, i) => {
          const claims = i % 7 === 0 ? null : claimsFor(users[i % users.length] ?? "", { marker: i });
          // Reads (COMMIT not awaited) and read-write transactions mixed on the same connections.
          return (i % 2 ? small.read : small.rls)(claims, async (tx) => {
            const first = only(
              await tx.execute<{ uid: string | null; marker: number | null; role: string }>(
                sql`select auth.uid() as uid, (auth.jwt() -> 'app_metadata' ->> 'marker')::int as marker, current_user as role`,
              ),
            );
            // Yield between statements so other transactions interleave on the event loop.
            await new Promise((resolve) => setImmediate(resolve));
            const second = only(await tx.execute<{ uid: string | null }>(sql`select auth.uid() as uid`));
            if (i % 11 === 0) throw new Error(`planned failure ${i}`);
            return { i, claims, first, second };
          });
        }),
      );
      let fulfilled = 0;
      results.forEach((result, i) => {
        if (i % 11 === 0) {
          expect(result.status).toBe("rejected");
          return;
        }
        expect(result.status).toBe("fulfilled");
        if (result.status !== "fulfilled") return;
        fulfilled++;
        const { claims, first, second } = result.value;
        expect(first.uid).toBe(claims?.sub ?? null);
        expect(second.uid).toBe(claims?.sub ?? null);
        expect(first.marker).toBe(claims ? i : null);
        expect(first.role).toBe(claims ? "authenticated" : "anon");
      });
      expect(fulfilled).toBe(1000 - Math.ceil(1000 / 11));
    } finally {
      await small.end();
    }
  });
});

describe("read(): a read-only rls() whose COMMIT is not waited for", () => {
  const readOnlyState = sql`select current_user, auth.uid() as uid, current_setting('transaction_read_only') as read_only`;

  it("runs with the token's role and claims; a write in it fails and changes nothing", async () => {
    const row = only(
      await ctx.database.read(claimsFor(BOB), (tx) =>
        tx.execute<{ current_user: string; uid: string; read_only: string }>(readOnlyState),
      ),
    );
    expect(row).toEqual({ current_user: "authenticated", uid: BOB, read_only: "on" });
    const body = `read-only ${crypto.randomUUID()}`;
    expect(
      await pgFailure(ctx.database.read(claimsFor(BOB), (tx) => tx.insert(messages).values({ authorId: BOB, body }))),
    ).toMatchObject({ code: "25006" });
    expect(await ctx.db.sql`select id from messages where body = ${body}`).toHaveLength(0);
  });

  it("the next transaction on the connection starts after the COMMIT, never inside the read", async () => {
    const single = createDatabase({ url: ctx.rlsUrl, adminUrl: ctx.db.url, max: 1 });
    try {
      const body = `after a read ${crypto.randomUUID()}`;
      const [read, written] = await Promise.all([
        single.read(claimsFor(BOB), (tx) => tx.execute<{ uid: string; read_only: string }>(readOnlyState)),
        single.rls(claimsFor(ALICE), async (tx) => {
          await tx.insert(messages).values({ authorId: ALICE, body });
          return tx.execute<{ current_user: string; uid: string; read_only: string }>(readOnlyState);
        }),
      ]);
      expect(only(read)).toMatchObject({ uid: BOB, read_only: "on" });
      expect(only(written)).toEqual({ current_user: "authenticated", uid: ALICE, read_only: "off" });
      expect(await ctx.db.sql`select author_id from messages where body = ${body}`).toEqual([{ author_id: ALICE }]);
      // And a signed-out request after both: nothing of either user is left on the connection.
      expect(only(await single.read(null, (tx) => tx.execute<{ uid: string | null }>(readOnlyState)))).toMatchObject({
        current_user: "anon",
        uid: null,
      });
    } finally {
      await single.end();
    }
  });

  it("also when the callback leaves a query unawaited on a connection without prepared statements", async () => {
    // Unprepared statements with parameters make postgres.js hold later ones (COMMIT too) in the
    // reservation's own queue: the connection must not go back to the pool before COMMIT ran.
    const single = createDatabase({ url: ctx.rlsUrl, adminUrl: ctx.db.url, max: 1, prepare: false });
    try {
      const body = `after an unawaited read ${crypto.randomUUID()}`;
      let straggler: Promise<unknown> | undefined;
      const read = single.read(claimsFor(BOB), async (tx) => {
        const state = await tx.execute<{ uid: string }>(readOnlyState);
        straggler = tx.execute(sql`select pg_sleep(0.05), ${BOB}::uuid as id`).catch(() => undefined);
        return state;
      });
      const written = single.rls(claimsFor(ALICE), async (tx) => {
        await tx.insert(messages).values({ authorId: ALICE, body });
        return tx.execute<{ uid: string; read_only: string }>(readOnlyState);
      });
      expect(only(await read)).toMatchObject({ uid: BOB, read_only: "on" });
      expect(only(await written)).toMatchObject({ uid: ALICE, read_only: "off" });
      await straggler;
      expect(await ctx.db.sql`select author_id from messages where body = ${body}`).toEqual([{ author_id: ALICE }]);
    } finally {
      await single.end();
    }
  });
});

describe("rls_client login", () => {
  it("holds no privileges outside rls(): cannot read tables, auth.*, or become an admin role", async () => {
    const raw = postgres(ctx.rlsUrl, { max: 1, onnotice: () => undefined });
    try {
      await expect(raw`select * from public.messages`).rejects.toThrow(/permission denied/);
      await expect(raw`select * from public.countries`).rejects.toThrow(/permission denied/);
      await expect(raw`select * from auth.users`).rejects.toThrow(/permission denied/);
      await expect(raw`set role service_role`).rejects.toThrow(/permission denied/);
      await expect(raw`set role postgres`).rejects.toThrow(/permission denied/);
      await expect(raw`select set_config('role', 'service_role', false)`).rejects.toThrow(/permission denied/);
      const [role] = await raw`select rolsuper, rolbypassrls, rolinherit, rolcreaterole, rolcreatedb
                                 from pg_roles where rolname = 'rls_client'`;
      expect(role).toEqual({
        rolsuper: false,
        rolbypassrls: false,
        rolinherit: false,
        rolcreaterole: false,
        rolcreatedb: false,
      });
      const memberships = await raw`select r.rolname from pg_auth_members m join pg_roles r on r.oid = m.roleid
                                     where m.member = (select oid from pg_roles where rolname = 'rls_client')
                                     order by 1`;
      expect(memberships.map((row) => row.rolname)).toEqual(["anon", "authenticated"]);
    } finally {
      await raw.end();
    }
  });

  it("cannot read auth.* or escape RLS as authenticated", async () => {
    const asBob = (query: ReturnType<typeof sql>) => ctx.database.rls(claimsFor(BOB), (tx) => tx.execute(query));
    expect(await pgFailure(asBob(sql`select * from auth.users`))).toMatchObject({ code: "42501" });
    expect(await pgFailure(asBob(sql`select * from auth.refresh_tokens`))).toMatchObject({ code: "42501" });
    expect(await pgFailure(asBob(sql`update auth.users set raw_app_meta_data = '{}'`))).toMatchObject({
      code: "42501",
    });
    // RLS does not cover TRUNCATE; the migration revokes it.
    expect(await pgFailure(asBob(sql`truncate messages`))).toMatchObject({ code: "42501" });
    const rowSecurityOff = ctx.database.rls(claimsFor(BOB), async (tx) => {
      await tx.execute(sql`select set_config('row_security', 'off', true)`);
      return tx.execute(sql`select * from messages`);
    });
    expect((await pgFailure(rowSecurityOff)).message).toMatch(/row-level security/);
  });
});
