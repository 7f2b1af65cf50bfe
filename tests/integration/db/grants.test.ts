import { is, sql } from "drizzle-orm";
import { getTableConfig, PgTable } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import * as schema from "../../../src/server/db/schema.ts";
import { BOB, claimsFor, pgFailure, useRlsDatabase } from "./support.ts";

/*
 * The template database these tests clone is built without automatic grants, as a project created
 * today is (ADR 0019), so every privilege below comes from a migration. The lists are exact: a new
 * table, sequence or function fails here until its grants are written and listed. The rules
 * these lists must keep (no table-wide writes, who may call a security definer function, RLS on)
 * are checked in every schema of the app by invariants.test.ts.
 */

const ctx = useRlsDatabase();

const APP_ROLES = ["anon", "authenticated", "service_role", "PUBLIC"];

/** Per relation in public: role -> privileges, table-wide ("SELECT") or per column ("UPDATE (body)"). */
const EXPECTED_RELATIONS: Record<string, Record<string, string[]>> = {
  profiles: { authenticated: ["SELECT", "UPDATE (username)"] },
  messages: { authenticated: ["INSERT", "SELECT", "UPDATE (body)", "UPDATE (deleted_at)"] },
  countries: { authenticated: ["SELECT"] },
  conversation_reads: { authenticated: ["INSERT", "SELECT", "UPDATE (last_read_at)"] },
  countries_id_seq: {},
  admin_audit_log: {},
  admin_audit_log_id_seq: {},
  rate_limits: {},
  app_metadata_version: {},
  session_revocation_version: {},
  moderation_settings: {},
  signal_ticket_key: {},
};

/** Per function in public: the roles that may EXECUTE it. */
const EXPECTED_FUNCTIONS: Record<string, string[]> = {
  get_my_claims: ["authenticated", "service_role"],
  get_my_claim: ["authenticated", "service_role"],
  is_claims_admin: ["authenticated", "service_role"],
  claims_are_stale: ["authenticated", "service_role"],
  set_claim: ["service_role"],
  delete_claim: ["service_role"],
  consume_rate_limit: ["service_role"],
  refund_rate_limit: ["service_role"],
  // GoTrue calls it as supabase_auth_admin (not an API role); the test below checks that grant.
  mfa_verification_attempt_hook: [],
  handle_new_user: [],
  profiles_before_update: [],
  messages_before_write: [],
  bump_version: [],
  broadcast_message_change: [],
  moderator_may_act_at_aal1: ["authenticated"],
  realtime_session_active: ["authenticated"],
  broadcast_sessions_ended: [],
  broadcast_claims_changed: [],
};

async function relationPrivileges(): Promise<Record<string, Record<string, string[]>>> {
  const rows = await ctx.db.sql<{ relation: string; grantee: string; privilege: string }[]>`
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
  return result;
}

describe("grants in public are explicit and exact", () => {
  it("every table and sequence gives the app's roles exactly the listed privileges", async () => {
    expect(await relationPrivileges()).toEqual(EXPECTED_RELATIONS);
  });

  it("every table of schema.ts is listed, and every one the app's queries touch is granted to authenticated", () => {
    const tables = Object.values(schema).flatMap((value: unknown) => (is(value, PgTable) ? [getTableConfig(value).name] : []));
    expect(tables.length).toBeGreaterThan(0);
    for (const table of tables) expect(Object.keys(EXPECTED_RELATIONS), table).toContain(table);
    for (const table of ["profiles", "messages", "countries", "conversation_reads"]) {
      expect(EXPECTED_RELATIONS[table]?.authenticated, table).toContain("SELECT");
    }
  });

  it("every function in public is executable by exactly the listed roles (PUBLIC included)", async () => {
    const rows = await ctx.db.sql<{ name: string; grantees: string[] }[]>`
      select p.proname as name,
             array(select coalesce(r.rolname, 'PUBLIC') from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                     left join pg_roles r on r.oid = a.grantee
                    where a.privilege_type = 'EXECUTE' and coalesce(r.rolname, 'PUBLIC') = any(${APP_ROLES})
                    order by 1) as grantees
        from pg_proc p where p.pronamespace = 'public'::regnamespace order by 1`;
    expect(Object.fromEntries(rows.map((row) => [row.name, row.grantees]))).toEqual(EXPECTED_FUNCTIONS);
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
