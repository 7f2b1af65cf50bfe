import { sql } from "drizzle-orm";
import type { Sql, TransactionSql } from "postgres";
import { describe, expect, it } from "vitest";
import { declaredGrants } from "../../../src/server/db/grants.ts";
import * as schema from "../../../src/server/db/schema.ts";
import { grantMigration } from "../../../scripts/grant-statements.ts";
import { BOB, claimsFor, pgFailure, useRlsDatabase } from "./support.ts";

/*
 * The template database these tests clone is built without automatic grants, as a project created
 * today is (ADR 0019), so every privilege below comes from a migration. The expected privileges are
 * the declarations in schema.ts (tableGrants, functionGrants; ADR 0050), and the comparison is
 * exact: a table, sequence or function in the database that schema.ts does not declare, or declares
 * differently, fails here. The rules those declarations must keep (no table-wide writes, who may
 * call a security definer function, RLS on) are checked in every schema of the app by
 * invariants.test.ts.
 */

const ctx = useRlsDatabase();

const APP_ROLES = ["anon", "authenticated", "service_role", "PUBLIC"];

const declared = declaredGrants(schema);

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

async function relationPrivileges(sql: Sql | TransactionSql = ctx.db.sql): Promise<Record<string, Record<string, string[]>>> {
  const rows = await sql<{ relation: string; grantee: string; privilege: string }[]>`
    with relations as (
      select c.oid, c.relname, c.relacl from pg_class c
       where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
    ), grants as (
      select r.relname as relation, a.grantee, a.privilege_type as privilege
        from relations r, aclexplode(r.relacl) a
      union all
      select r.relname, a.grantee, a.privilege_type || ' (' || att.attname || ')'
        from relations r join pg_attribute att on att.attrelid = r.oid and att.attacl is not null,
             aclexplode(att.attacl) a
    )
    select r.relname as relation, coalesce(g.rolname, 'PUBLIC') as grantee, grants.privilege
      from relations r
      left join grants on grants.relation = r.relname
      left join pg_roles g on g.oid = grants.grantee
     order by 1, 2, 3`;
  const result: Record<string, Record<string, string[]>> = {};
  for (const row of rows) {
    const relation = (result[row.relation] ??= {});
    if (row.privilege === null || !APP_ROLES.includes(row.grantee)) continue;
    (relation[row.grantee] ??= []).push(row.privilege);
  }
  for (const relation of Object.values(result)) for (const privileges of Object.values(relation)) privileges.sort(byCodePoint);
  return result;
}

async function functionPrivileges(sql: Sql | TransactionSql = ctx.db.sql): Promise<Record<string, string[]>> {
  const rows = await sql<{ name: string; grantees: string[] }[]>`
    select format('%s(%s)', p.proname, oidvectortypes(p.proargtypes)) as name,
           array(select coalesce(r.rolname, 'PUBLIC') from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                   left join pg_roles r on r.oid = a.grantee
                  where a.privilege_type = 'EXECUTE' and coalesce(r.rolname, 'PUBLIC') = any(${APP_ROLES})
                  order by 1) as grantees
        from pg_proc p where p.pronamespace = 'public'::regnamespace order by 1`;
  return Object.fromEntries(rows.map((row) => [row.name, [...row.grantees].sort(byCodePoint)]));
}

describe("grants in public are the ones schema.ts declares", () => {
  it("every table and sequence gives the app's roles exactly the declared privileges", async () => {
    expect(await relationPrivileges()).toEqual(declared.relations);
  });

  it("the generator's statements take any grants to the declared ones", async () => {
    class Rollback extends Error {}
    let after: { relations: Record<string, Record<string, string[]>>; functions: Record<string, string[]> } | undefined;
    await ctx.db.sql
      .begin(async (tx) => {
        // What an older project's default privileges gave every table and sequence.
        await tx.unsafe(`grant all on all tables in schema public to anon, authenticated, service_role;
          grant all on all sequences in schema public to anon, authenticated, service_role;
          grant all on all functions in schema public to public`);
        await tx.unsafe(grantMigration({ relations: {}, functions: {} }, declared, schema).join("\n"));
        after = { relations: await relationPrivileges(tx), functions: await functionPrivileges(tx) };
        throw new Rollback();
      })
      .catch((error: unknown) => {
        if (!(error instanceof Rollback)) throw error;
      });
    expect(after).toEqual(declared);
  });

  it("every table the app's queries touch is readable by authenticated", () => {
    for (const table of ["profiles", "messages", "countries", "conversation_reads"]) {
      expect(declared.relations[table]?.authenticated, table).toContain("SELECT");
    }
  });

  it("every function in public is executable by exactly the declared roles (PUBLIC included)", async () => {
    expect(await functionPrivileges()).toEqual(declared.functions);
  });

  it("the MFA verification attempt hook is executable by GoTrue's role, supabase_auth_admin", async () => {
    const rows = await ctx.db.sql<{ allowed: boolean }[]>`
      select has_function_privilege('supabase_auth_admin', 'public.mfa_verification_attempt_hook(jsonb)', 'execute') as allowed`;
    expect(rows[0]?.allowed).toBe(true);
  });
});

describe("no automatic grants (a project created today)", () => {
  it("default privileges keep only what the revoke at project creation leaves: no read, write, sequence use or EXECUTE", async () => {
    const rows = await ctx.db.sql<{ kind: string; grantee: string; privileges: string }[]>`
      select d.defaclobjtype as kind, r.rolname as grantee,
             string_agg(a.privilege_type, ',' order by a.privilege_type) as privileges
        from pg_default_acl d, aclexplode(d.defaclacl) a
        join pg_roles r on r.oid = a.grantee
       where d.defaclnamespace = 'public'::regnamespace and r.rolname in ('anon', 'authenticated', 'service_role')
       group by 1, 2 order by ascii(d.defaclobjtype), 2`;
    // Supabase's revoke (the CLI's and Studio's) names SELECT/INSERT/UPDATE/DELETE on tables, USAGE
    // and SELECT on sequences, EXECUTE on functions; the rest of the image's ALL stays, which is why
    // the grants migration starts with REVOKE ALL.
    const roles = ["anon", "authenticated", "service_role"];
    expect(rows).toEqual([
      ...roles.map((grantee) => ({ kind: "S", grantee, privileges: "UPDATE" })),
      ...roles.map((grantee) => ({ kind: "r", grantee, privileges: "MAINTAIN,REFERENCES,TRIGGER,TRUNCATE" })),
    ]);
  });

  it("a table created without a grants migration is refused to the app's queries", async () => {
    await ctx.db.sql`create table public.forgot_its_grants (id int primary key)`;
    await ctx.db.sql`insert into public.forgot_its_grants values (1)`;
    try {
      const read = ctx.database.rls(claimsFor(BOB), (tx) => tx.execute(sql`select id from public.forgot_its_grants`));
      expect(await pgFailure(read)).toMatchObject({ code: "42501", message: "permission denied for table forgot_its_grants" });
      const write = ctx.database.rls(claimsFor(BOB), (tx) => tx.execute(sql`insert into public.forgot_its_grants values (2)`));
      expect(await pgFailure(write)).toMatchObject({ code: "42501" });
    } finally {
      await ctx.db.sql`drop table public.forgot_its_grants`;
    }
  });
});
