import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { startLocalSupabase } from "local-supabase";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { describe, expect, it } from "vitest";
import drizzleConfig from "../../../drizzle.config.ts";
import { BOB, claimsFor, createUser, only, pgFailure, useRlsDatabase } from "./support.ts";

const run = promisify(execFile);
const ctx = useRlsDatabase();

describe("drizzle-kit", () => {
  it("check passes", async () => {
    const { stdout } = await run("npx", ["drizzle-kit", "check"]);
    expect(stdout).toMatch(/Everything's fine/);
  }, 60_000);

  it("schema.ts and the generated migrations agree (generate finds nothing to do)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "drizzle-generate-"));
    try {
      await cp(String(drizzleConfig.out), join(dir, "migrations"), { recursive: true });
      // The project's config, pointed at a copy of the migrations so nothing here can be written
      // (drizzle-kit wants `out` relative to the working directory).
      const config = join(dir, "drizzle.config.mjs");
      const copy = {
        ...drizzleConfig,
        schema: resolve(String(drizzleConfig.schema)),
        out: relative(".", join(dir, "migrations")),
      };
      await writeFile(config, `export default ${JSON.stringify(copy)};`);
      const { stdout } = await run("npx", ["drizzle-kit", "generate", `--config=${config}`]);
      expect(stdout).toMatch(/No schema changes/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("reset -> migrate -> seed", () => {
  const snapshot = async (url: string) => {
    const db = postgres(url, { max: 1, onnotice: () => undefined });
    try {
      const [counts] = await db`select
        (select count(*)::int from auth.users) as users,
        (select count(*)::int from public.profiles) as profiles,
        (select count(*)::int from public.messages) as messages,
        (select count(*)::int from public.countries) as countries,
        (select string_agg(username, ',' order by username) from public.profiles) as usernames`;
      return counts;
    } finally {
      await db.end();
    }
  };

  it("builds the same database every time, and the seed can run twice", async () => {
    // Two throw-away clusters built from nothing, as `npm run db:reset` builds the developer's.
    const first = await startLocalSupabase({ ephemeral: true, services: "postgres" });
    let before: Awaited<ReturnType<typeof snapshot>>;
    try {
      expect(first.prepared.seeded).toBe(true);
      before = await snapshot(first.dbUrl);
      expect(before).toMatchObject({ users: 3, profiles: 3, messages: 5, countries: 7, usernames: "alice,bob,carol" });
    } finally {
      await first.stop();
    }
    const second = await startLocalSupabase({ ephemeral: true, services: "postgres" });
    try {
      expect(second.prepared.migrations).toEqual(first.prepared.migrations);
      expect(await snapshot(second.dbUrl)).toEqual(before);
      const again = postgres(second.dbUrl, { max: 1, onnotice: () => undefined });
      try {
        const seed = await readFile("supabase/seed.sql", "utf8");
        await again.begin((tx) => tx.unsafe(seed));
      } finally {
        await again.end();
      }
      expect(await snapshot(second.dbUrl)).toEqual(before);
    } finally {
      await second.stop();
    }
  }, 60_000);
});

describe("profile trigger on auth.users", () => {
  const profileOf = async (id: string) => {
    return only(await ctx.db.sql`select username, username_set from profiles where id = ${id}`);
  };

  it("takes a valid, free username from the sign-up metadata", async () => {
    const id = await createUser(ctx.db.sql, { email: "x1@example.test", username: "Valid_Name" });
    expect(await profileOf(id)).toEqual({ username: "valid_name", username_set: true });
  });

  it("derives one from the email when the metadata has none, an invalid or a taken one", async () => {
    const plain = await createUser(ctx.db.sql, { email: "Jane.Doe+tag@example.test" });
    expect(await profileOf(plain)).toEqual({ username: "jane_doe_tag", username_set: false });
    const collision = await createUser(ctx.db.sql, { email: "jane.doe+tag@elsewhere.test" });
    expect((await profileOf(collision)).username).toMatch(/^jane_doe_tag_[0-9a-f]{6}$/);
    const invalid = await createUser(ctx.db.sql, { email: "ok.name@example.test", username: "no spaces" });
    expect(await profileOf(invalid)).toEqual({ username: "ok_name", username_set: false });
    const taken = await createUser(ctx.db.sql, { email: "someone@example.test", username: "bob" });
    expect(await profileOf(taken)).toEqual({ username: "someone", username_set: false });
    const short = await createUser(ctx.db.sql, { email: "jo@example.test" });
    expect((await profileOf(short)).username).toMatch(/^user(_[0-9a-f]{6})?$/);
    const long = await createUser(ctx.db.sql, { email: `${"a".repeat(60)}@example.test` });
    expect((await profileOf(long)).username).toBe("a".repeat(25));
    const phoneOnly = only(
      await ctx.db.sql`
      insert into auth.users (id, aud, role, phone, created_at, updated_at)
      values (gen_random_uuid(), 'authenticated', 'authenticated', '+15550100', now(), now()) returning id`,
    );
    expect((await profileOf(phoneOnly.id)).username).toMatch(/^user(_[0-9a-f]{6})?$/);
  });

  it("never makes the sign-up fail", async () => {
    const outcome = await ctx.db.sql
      .begin(async (tx) => {
        await tx`alter table profiles add constraint refuse_everything check (false) not valid`;
        const user = only(
          await tx`
          insert into auth.users (id, aud, role, email, created_at, updated_at)
          values (gen_random_uuid(), 'authenticated', 'authenticated', 'unlucky@example.test', now(), now())
          returning id`,
        );
        const profiles = await tx`select 1 from profiles where id = ${user.id}`;
        throw Object.assign(new Error("rollback"), { result: { user: Boolean(user), profiles: profiles.length } });
      })
      .catch((error: { result?: unknown }) => error.result);
    expect(outcome).toEqual({ user: true, profiles: 0 });
  });
});

describe("rate limits", () => {
  it("counts hits per bucket in a fixed window, atomically", async () => {
    const hit = async () => {
      return only(await ctx.db.sql`select * from public.consume_rate_limit('sign-in:ip:203.0.113.7', 2, 60)`);
    };
    expect(await hit()).toMatchObject({ allowed: true, hit_count: 1 });
    expect(await hit()).toMatchObject({ allowed: true, hit_count: 2 });
    const refused = await hit();
    expect(refused).toMatchObject({ allowed: false, hit_count: 3 });
    expect(refused.retry_after_seconds).toBeGreaterThan(0);
    await ctx.db.sql`update rate_limits set window_started_at = now() - interval '61 seconds'`;
    expect(await hit()).toMatchObject({ allowed: true, hit_count: 1 });
    const burst = await Promise.all(
      Array.from({ length: 20 }, () => ctx.db.sql`select * from public.consume_rate_limit('burst', 5, 60)`),
    );
    expect(burst.filter((rows) => only(rows).allowed)).toHaveLength(5);
  });

  it("is out of reach of app users", async () => {
    const asBob = (query: ReturnType<typeof sql>) => ctx.database.rls(claimsFor(BOB), (tx) => tx.execute(query));
    expect(await pgFailure(asBob(sql`select * from public.consume_rate_limit('x', 1, 1)`))).toMatchObject({
      code: "42501",
    });
    expect(await pgFailure(asBob(sql`select * from public.rate_limits`))).toMatchObject({ code: "42501" });
    expect(await pgFailure(asBob(sql`select * from public.admin_audit_log`))).toMatchObject({ code: "42501" });
  });
});
