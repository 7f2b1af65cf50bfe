import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { claimsAreStale } from "../../../src/server/session/claims-freshness.ts";
import type { VerifiedClaims } from "../../../src/server/db/client.ts";
import { changeRole, findUser, listRoleHolders } from "../../../src/server/db/user-roles.ts";
import {
  ALICE,
  BOB,
  CAROL,
  claimsFor,
  createUser,
  moderatorClaims,
  only,
  pgFailure,
  RLS_CLIENT_PASSWORD,
  useRlsDatabase,
} from "./support.ts";

const ctx = useRlsDatabase();

const scalar = async <T>(claims: VerifiedClaims | null, query: ReturnType<typeof sql>): Promise<T> => {
  return only(await ctx.database.rls(claims, (tx) => tx.execute<{ value: T }>(query))).value;
};

const appMetadata = async (id: string) => {
  const row = only(await ctx.db.sql`select raw_app_meta_data from auth.users where id = ${id}`);
  return row.raw_app_meta_data as Record<string, unknown>;
};

/** Claims as the auth server would issue them now, from the stored user. */
const freshClaimsFor = async (id: string) => claimsFor(id, await appMetadata(id));

describe("claim readers", () => {
  it("return app_metadata and single claims as jsonb", async () => {
    const claims = moderatorClaims(ALICE);
    expect(await scalar(claims, sql`select public.get_my_claims() as value`)).toEqual(claims.app_metadata);
    expect(await scalar(claims, sql`select public.get_my_claim('user_role') as value`)).toBe("moderator");
    expect(await scalar(claims, sql`select public.get_my_claim('user_role') = '"moderator"'::jsonb as value`)).toBe(true);
    expect(await scalar(claimsFor(BOB), sql`select public.get_my_claim('user_role') as value`)).toBeNull();
  });

  it("are not callable by anon", async () => {
    for (const fn of ["get_my_claims()", "get_my_claim('user_role')", "is_claims_admin()", "claims_are_stale()"]) {
      expect(await pgFailure(scalar(null, sql.raw(`select public.${fn} as value`)))).toMatchObject({ code: "42501" });
    }
  });

  it("are security definer functions with an empty search_path and a comment", async () => {
    const rows = await ctx.db.sql<{ name: string; secdef: boolean; config: string[] | null; comment: string | null }[]>`
      select p.proname as name, p.prosecdef as secdef, p.proconfig as config,
             obj_description(p.oid, 'pg_proc') as comment
        from pg_proc p
       where p.pronamespace = 'public'::regnamespace
         and p.proname in ('get_my_claims', 'get_my_claim', 'is_claims_admin', 'set_claim', 'delete_claim')`;
    expect(rows).toHaveLength(5);
    for (const row of rows) {
      expect(row, row.name).toMatchObject({ secdef: true, config: ['search_path=""'] });
      expect(row.comment, row.name).toBeTruthy();
    }
  });
});

describe("is_claims_admin()", () => {
  it("is false for every user of rls_client, whatever their claims say", async () => {
    // The community version answers true here: session_user is rls_client, not authenticator.
    expect(await scalar(claimsFor(BOB), sql`select public.is_claims_admin() as value`)).toBe(false);
    expect(await scalar(moderatorClaims(ALICE), sql`select public.is_claims_admin() as value`)).toBe(false);
    // rls_client writes the claims itself, so a claim can never be what makes an admin.
    expect(await scalar(claimsFor(BOB, { claims_admin: "true" }), sql`select public.is_claims_admin() as value`)).toBe(false);
    expect(await scalar(claimsFor(BOB, { claims_admin: true }), sql`select public.is_claims_admin() as value`)).toBe(false);
  });

  it("is true for the admin connection and service_role", async () => {
    expect(only(await ctx.db.sql`select public.is_claims_admin() as value`).value).toBe(true);
    const service = await ctx.db.sql.begin(async (tx) => {
      await tx`set local role service_role`;
      return only(await tx`select public.is_claims_admin() as value`).value;
    });
    expect(service).toBe(true);
    const impersonating = await ctx.db.sql.begin(async (tx) => {
      await tx`set local role authenticated`;
      return only(await tx`select public.is_claims_admin() as value`).value;
    });
    expect(impersonating).toBe(false);
  });
});

describe("set_claim() / delete_claim()", () => {
  it("a user cannot grant themself a role, nor can a moderator", async () => {
    const before = await appMetadata(BOB);
    const selfGrant = scalar(claimsFor(BOB), sql`select public.set_claim(${BOB}::uuid, 'user_role', '"moderator"') as value`);
    expect(await pgFailure(selfGrant)).toMatchObject({ code: "42501" });
    const byModerator = scalar(
      moderatorClaims(ALICE),
      sql`select public.set_claim(${BOB}::uuid, 'user_role', '"moderator"') as value`,
    );
    expect(await pgFailure(byModerator)).toMatchObject({ code: "42501" });
    const selfDelete = scalar(moderatorClaims(ALICE), sql`select public.delete_claim(${ALICE}::uuid, 'user_role') as value`);
    expect(await pgFailure(selfDelete)).toMatchObject({ code: "42501" });
    expect(await appMetadata(BOB)).toEqual(before);
    expect((await appMetadata(ALICE)).user_role).toBe("moderator");
  });

  it("service_role sets and deletes claims, but not the auth server's own", async () => {
    const dave = await createUser(ctx.db.sql, { email: "dave.claims@example.test" });
    const asServiceRole = (query: ReturnType<typeof sql>) =>
      ctx.database.admin.transaction(async (tx) => {
        await tx.execute(sql`set local role service_role`);
        return tx.execute(query);
      });
    await asServiceRole(sql`select public.set_claim(${dave}::uuid, 'user_role', '"moderator"')`);
    expect((await appMetadata(dave)).user_role).toBe("moderator");
    await asServiceRole(sql`select public.delete_claim(${dave}::uuid, 'user_role')`);
    expect(await appMetadata(dave)).not.toHaveProperty("user_role");
    expect(await appMetadata(dave)).toMatchObject({ provider: "email" });
    const provider = asServiceRole(sql`select public.set_claim(${dave}::uuid, 'provider', '"google"')`);
    expect(await pgFailure(provider)).toMatchObject({ code: "22023" });
    const missing = ctx.db.sql`select public.set_claim(${crypto.randomUUID()}::uuid, 'user_role', '"moderator"')`;
    expect(await pgFailure(missing)).toMatchObject({ code: "P0002" });
  });
});

describe("claims freshness", () => {
  it("claims_are_stale() compares the token's app_metadata with the stored one", async () => {
    const erin = await createUser(ctx.db.sql, { email: "erin@example.test" });
    const issued = await freshClaimsFor(erin);
    const stale = (claims: VerifiedClaims | null) => scalar<boolean>(claims, sql`select public.claims_are_stale() as value`);
    expect(await stale(issued)).toBe(false);
    // provider/providers may differ between the token and the row without counting as a change.
    expect(await stale({ ...issued, app_metadata: {} })).toBe(false);

    await ctx.db.sql`select public.set_claim(${erin}::uuid, 'user_role', '"moderator"')`;
    expect(await stale(issued)).toBe(true);
    expect(await stale(await freshClaimsFor(erin))).toBe(false);

    await ctx.db.sql`select public.delete_claim(${erin}::uuid, 'user_role')`;
    expect(await stale(moderatorClaims(erin))).toBe(true);

    await ctx.db.sql`delete from auth.users where id = ${erin}`;
    expect(await stale(issued)).toBe(true);
  });

  it("claimsAreStale() turns true after a role change and false again with a new token", async () => {
    const frank = await createUser(ctx.db.sql, { email: "frank@example.test" });
    const issued = await freshClaimsFor(frank);
    expect(await claimsAreStale(ctx.database.admin, issued)).toBe(false);
    await changeRole(ctx.database.admin, { action: "grant", emailOrId: frank, role: "moderator", actor: "test" });
    expect(await claimsAreStale(ctx.database.admin, issued)).toBe(true);
    const refreshed = await freshClaimsFor(frank);
    expect(refreshed.app_metadata?.user_role).toBe("moderator");
    expect(await claimsAreStale(ctx.database.admin, refreshed)).toBe(false);
    // Key order and the provider fields the auth server adds do not count as a change.
    const reordered = { ...refreshed, app_metadata: { user_role: "moderator", providers: ["x"], provider: "x" } };
    expect(await claimsAreStale(ctx.database.admin, reordered)).toBe(false);
    await ctx.db.sql`delete from auth.users where id = ${frank}`;
    expect(await claimsAreStale(ctx.database.admin, refreshed)).toBe(true);
  });
});

describe("public.app_metadata_version (what lets the middleware skip per-user lookups)", () => {
  const counter = async () =>
    only(await ctx.db.sql<{ version: string }[]>`select version from public.app_metadata_version`).version;

  it("moves when a user's app_metadata really changes or a user is deleted, and only then", async () => {
    const grace = await createUser(ctx.db.sql, { email: "grace@example.test" });
    let before = await counter();
    await ctx.db
      .sql`update auth.users set email = 'grace2@example.test', raw_user_meta_data = '{"username":"grace"}', last_sign_in_at = now() where id = ${grace}`;
    await ctx.db.sql`update auth.users set raw_app_meta_data = raw_app_meta_data where id = ${grace}`;
    expect(await counter()).toBe(before);

    await changeRole(ctx.database.admin, { action: "grant", emailOrId: grace, role: "moderator", actor: "test" });
    expect(await counter()).not.toBe(before);
    before = await counter();
    await ctx.db.sql`select public.set_claim(${grace}::uuid, 'plan', '"pro"'::jsonb)`;
    expect(await counter()).not.toBe(before);
    before = await counter();
    await ctx.db.sql`delete from auth.users where id = ${grace}`;
    expect(await counter()).not.toBe(before);
  });

  it("moves only when the change commits: another connection never sees the new version with the old app_metadata", async () => {
    const heidi = await createUser(ctx.db.sql, { email: "heidi@example.test" });
    const before = await counter();
    await ctx.db.sql.begin(async (tx) => {
      await tx`update auth.users set raw_app_meta_data = raw_app_meta_data || '{"user_role":"moderator"}' where id = ${heidi}`;
      expect(await counter()).toBe(before);
      expect((await appMetadata(heidi)).user_role).toBeUndefined();
    });
    expect(await counter()).not.toBe(before);
    expect((await appMetadata(heidi)).user_role).toBe("moderator");
  });

  it("cannot be read or moved by anon or authenticated, nor its trigger function called", async () => {
    for (const claims of [null, claimsFor(BOB)]) {
      expect(
        await pgFailure(
          scalar(claims, sql`update public.app_metadata_version set version = version + 1 returning version as value`),
        ),
      ).toMatchObject({ code: "42501" });
      expect(await pgFailure(scalar(claims, sql`select version as value from public.app_metadata_version`))).toMatchObject({
        code: "42501",
      });
      expect(await pgFailure(scalar(claims, sql`select public.bump_version() as value`))).toMatchObject({
        code: "42501",
      });
    }
  });
});

describe("role changes (the roles CLI's core)", () => {
  it("grants and revokes by email or id, idempotently, with an audit entry per change", async () => {
    const audit = () =>
      ctx.db.sql`select actor, action, target_user_id, details from admin_audit_log
                 where target_user_id = ${CAROL} order by id`;
    const grant = await changeRole(ctx.database.admin, {
      action: "grant",
      emailOrId: "Carol@Example.com",
      role: "moderator",
      actor: "cli:test",
    });
    expect(grant).toMatchObject({ changed: true, user: { id: CAROL, role: "moderator" } });
    const again = await changeRole(ctx.database.admin, {
      action: "grant",
      emailOrId: CAROL,
      role: "moderator",
      actor: "cli:test",
    });
    expect(again.changed).toBe(false);
    expect((await listRoleHolders(ctx.database.admin, "moderator")).map((user) => user.id)).toContain(CAROL);

    await changeRole(ctx.database.admin, { action: "revoke", emailOrId: CAROL, role: "moderator", actor: "cli:test" });
    expect((await findUser(ctx.database.admin, CAROL)).role).toBeNull();
    expect(await audit()).toEqual([
      {
        actor: "cli:test",
        action: "role.grant",
        target_user_id: CAROL,
        details: { role: "moderator", previousRole: null, email: "carol@example.com" },
      },
      {
        actor: "cli:test",
        action: "role.revoke",
        target_user_id: CAROL,
        details: { role: "moderator", previousRole: "moderator", email: "carol@example.com" },
      },
    ]);
    await expect(
      changeRole(ctx.database.admin, { action: "grant", emailOrId: "nobody@example.com", role: "moderator", actor: "t" }),
    ).rejects.toThrow(/no user with email/);
  });

  it("npm run role works end to end through the admin connection", async () => {
    const run = promisify(execFile);
    const env = {
      ...process.env,
      ADMIN_DATABASE_URL: ctx.db.url,
      DATABASE_URL: ctx.rlsUrl,
    };
    const cli = (...args: string[]) => run("npx", ["tsx", "scripts/role.ts", ...args], { env });
    const granted = await cli("grant", "bob@example.com", "moderator");
    expect(granted.stdout).toMatch(/granted moderator to bob@example.com/);
    expect((await appMetadata(BOB)).user_role).toBe("moderator");
    const listed = await cli("list", "moderator");
    expect(listed.stdout).toContain(BOB);
    await cli("revoke", BOB, "moderator");
    expect(await appMetadata(BOB)).not.toHaveProperty("user_role");
    await expect(cli("grant", "bob@example.com", "superuser")).rejects.toMatchObject({
      stderr: expect.stringMatching(/unknown role/),
    });
    // Same password as every test file uses, so this cannot disturb a parallel file.
    expect(ctx.rlsUrl).toContain(RLS_CLIENT_PASSWORD);
    expect((await cli("sync-db-login")).stdout).toMatch(/rls_client password set/);
  }, 60_000);
});
