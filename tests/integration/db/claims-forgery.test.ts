import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALICE, BOB, CAROL, claimsFor, pgFailure, useRlsDatabase } from "./support.ts";

/*
 * Whoever holds DATABASE_URL (the rls_client login) writes request.jwt.claims themself, so they
 * can act as any user, moderators included, as PostgREST's authenticator can. What they must not
 * be able to do is change anyone's claims or roles (ADR 0019). These tests are that attacker, on
 * a plain rls_client connection, without the app's rls() in between.
 */

const ctx = useRlsDatabase();
let attacker: postgres.Sql;

beforeAll(() => {
  attacker = postgres(ctx.rlsUrl, { max: 1, onnotice: () => undefined });
});
afterAll(() => attacker.end());

const storedAppMetadata = async () =>
  ctx.db.sql`select id, raw_app_meta_data from auth.users order by id`.then((rows) => JSON.stringify(rows));
const metadataVersion = async () => ctx.db.sql`select version from public.app_metadata_version`;

const forged = (sub: string, role: string) =>
  JSON.stringify({
    ...claimsFor(sub, { claims_admin: true, user_role: "moderator" }),
    role,
    claims_admin: true,
  });

/** One transaction on the attacker's connection: `setup` statements, then `attack`. */
async function attempt(setup: string[], attack: string): Promise<{ code: string | undefined; message: string }> {
  return pgFailure(
    attacker.begin(async (tx) => {
      for (const statement of setup) await tx.unsafe(statement);
      return tx.unsafe(attack);
    }),
  );
}

const setClaims = (claims: string) => `select set_config('request.jwt.claims', '${claims}', true),
  set_config('request.jwt.claim.sub', '${BOB}', true), set_config('request.jwt.claim.role', 'service_role', true)`;

describe("a leaked DATABASE_URL cannot change claims or roles", () => {
  it("rls_client can become anon or authenticated and nothing else", async () => {
    const rows = await ctx.db.sql<{ rolname: string }[]>`
      select rolname from pg_roles where pg_has_role('rls_client', oid, 'SET') order by rolname`;
    expect(rows.map((row) => row.rolname)).toEqual(["anon", "authenticated", "rls_client"]);
    const [login] = await ctx.db
      .sql`select rolsuper, rolinherit, rolbypassrls, rolcreaterole from pg_roles where rolname = 'rls_client'`;
    expect(login).toEqual({ rolsuper: false, rolinherit: false, rolbypassrls: false, rolcreaterole: false });
  });

  it("cannot switch to service_role, postgres or the auth server's role, by any spelling", async () => {
    for (const statement of [
      "set role service_role",
      "set local role service_role",
      "select set_config('role', 'service_role', true)",
      "set role postgres",
      "set role supabase_auth_admin",
      "set role authenticator",
      "set session authorization postgres",
      "set session authorization service_role",
    ]) {
      const failure = await attempt([], statement);
      expect(failure.code, statement).toBe("42501");
    }
    // As a startup parameter the role is checked the same way, and the connection is refused.
    const atLogin = postgres(ctx.rlsUrl, { max: 1, onnotice: () => undefined, connection: { role: "service_role" } });
    try {
      expect(await pgFailure(atLogin`select current_user`)).toMatchObject({ code: "42501" });
    } finally {
      await atLogin.end();
    }
  });

  it("forged claims (claims_admin, role service_role) make nobody a claims admin, and set_claim/delete_claim refuse", async () => {
    const before = await storedAppMetadata();
    const version = await metadataVersion();
    // isClaimsAdmin: what is_claims_admin() answers there (anon and bare rls_client may not call it).
    const contexts: { name: string; setup: string[]; isClaimsAdmin: false | "42501" }[] = [
      {
        name: "authenticated, claims_admin in app_metadata and at the top",
        setup: [setClaims(forged(BOB, "authenticated")), "set local role authenticated"],
        isClaimsAdmin: false,
      },
      {
        name: "authenticated, role service_role in the claims",
        setup: [setClaims(forged(BOB, "service_role")), "select set_config('role', 'authenticated', true)"],
        isClaimsAdmin: false,
      },
      {
        name: "anon with the same claims",
        setup: [setClaims(forged(BOB, "service_role")), "set local role anon"],
        isClaimsAdmin: "42501",
      },
      {
        name: "rls_client itself, no role switched",
        setup: [setClaims(forged(BOB, "service_role"))],
        isClaimsAdmin: "42501",
      },
    ];
    for (const { name, setup, isClaimsAdmin } of contexts) {
      for (const attack of [
        `select public.set_claim('${BOB}'::uuid, 'user_role', '"moderator"')`,
        `select public.set_claim('${CAROL}'::uuid, 'claims_admin', 'true')`,
        `select public.delete_claim('${ALICE}'::uuid, 'user_role')`,
      ]) {
        expect(await attempt(setup, attack), `${name}: ${attack}`).toMatchObject({ code: "42501" });
      }
      const admin = await attacker
        .begin(async (tx) => {
          for (const statement of setup) await tx.unsafe(statement);
          return tx`select public.is_claims_admin() as value`;
        })
        .then(
          ([row]) => row?.value as boolean,
          (error: { code?: string }) => error.code,
        );
      expect(admin, name).toBe(isClaimsAdmin);
    }
    // Nor can the auth schema be written directly with forged claims.
    const direct = await attempt(
      [setClaims(forged(BOB, "service_role")), "set local role authenticated"],
      `update auth.users set raw_app_meta_data = raw_app_meta_data || '{"user_role":"moderator"}' where id = '${BOB}'`,
    );
    expect(direct.code).toBe("42501");
    expect(await storedAppMetadata()).toBe(before);
    expect(await metadataVersion()).toEqual(version);
  });

  it("set_claim() itself refuses an authenticated caller with forged claims, even if EXECUTE were granted", async () => {
    const before = await storedAppMetadata();
    const failure = await pgFailure(
      ctx.db.sql.begin(async (tx) => {
        await tx`grant execute on function public.set_claim(uuid, text, jsonb), public.delete_claim(uuid, text) to authenticated`;
        await tx.unsafe(setClaims(forged(BOB, "service_role")));
        await tx`set local role authenticated`;
        return tx`select public.set_claim(${BOB}::uuid, 'user_role', '"moderator"')`;
      }),
    );
    expect(failure).toMatchObject({ code: "42501", message: "only a claims admin may set claims" });
    const deletion = await pgFailure(
      ctx.db.sql.begin(async (tx) => {
        await tx`grant execute on function public.delete_claim(uuid, text) to authenticated`;
        await tx.unsafe(setClaims(forged(ALICE, "service_role")));
        await tx`set local role authenticated`;
        return tx`select public.delete_claim(${ALICE}::uuid, 'user_role')`;
      }),
    );
    expect(deletion).toMatchObject({ code: "42501", message: "only a claims admin may delete claims" });
    expect(await storedAppMetadata()).toBe(before);
  });

  it("the admin connection and service_role still change claims (what the roles CLI uses)", async () => {
    await ctx.db.sql`select public.set_claim(${CAROL}::uuid, 'user_role', '"moderator"')`;
    expect((await ctx.db.sql`select raw_app_meta_data ->> 'user_role' as role from auth.users where id = ${CAROL}`)[0]).toEqual({
      role: "moderator",
    });
    await ctx.db.sql.begin(async (tx) => {
      await tx`set local role service_role`;
      await tx`select public.delete_claim(${CAROL}::uuid, 'user_role')`;
    });
    expect((await ctx.db.sql`select raw_app_meta_data ? 'user_role' as has from auth.users where id = ${CAROL}`)[0]).toEqual({
      has: false,
    });
  });
});
