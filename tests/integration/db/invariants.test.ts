import type { Sql, TransactionSql } from "postgres";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "local-supabase/testing/vitest";
import {
  functionSearchPath,
  indexedForeignKeys,
  INVARIANTS,
  type Invariant,
  noTableWideWrites,
  policiesForRoles,
  policyColumnsIndexed,
  policyHelpersInSubselect,
  primaryKeys,
  rlsEnabled,
  securityDefinerCallers,
  viewsAsInvoker,
  violations,
} from "./invariants.ts";

const db = useTestDatabase();

describe("main's migrations keep every database invariant", () => {
  it.each(INVARIANTS.map((invariant) => [invariant.name, invariant] as const))("%s", async (_name, invariant) => {
    expect(await violations(invariant, db.sql)).toEqual([]);
  });

  it("every declared exception still occurs (a stale one is removed, not kept as a blank cheque)", async () => {
    for (const invariant of INVARIANTS) {
      const found = await invariant.find(db.sql);
      for (const allowed of Object.keys(invariant.allowed)) expect(found, invariant.name).toContain(allowed);
    }
  });
});

/*
 * Each object breaks one rule on purpose (forgotten_notes also stands for a table that forgot its grants
 * migration: the default privileges of a project created today leave it TRUNCATE, REFERENCES,
 * TRIGGER and MAINTAIN). The odd alias exercises the backslash escapes of stored expressions.
 */
const BAD_MIGRATION = `
  create table public.forgotten_notes (
    id uuid primary key,
    owner_id uuid not null references public.profiles (id),
    body text not null
  );

  create table public.tasks (id bigint primary key, owner_id uuid not null, done boolean not null default false);
  alter table public.tasks enable row level security;
  revoke all on public.tasks from anon, authenticated, service_role;
  grant truncate on public.tasks to anon;
  grant select, update on public.tasks to authenticated;
  create policy "owners read their tasks" on public.tasks for select to authenticated
    using (owner_id = auth.uid() or owner_id = (select auth.uid() as "odd}{)( \\name"));
  create policy "anyone finishes open tasks" on public.tasks for update
    using (not done and (select auth.uid()) is not null)
    with check (public.get_my_claim('user_role') = '"moderator"');

  create table public.events (payload jsonb not null);
  alter table public.events enable row level security;
  revoke all on public.events from anon, authenticated, service_role;

  create view public.open_tasks as select * from public.tasks where not done;
  revoke all on public.open_tasks from anon, authenticated, service_role;

  create schema app_private;
  create function app_private.whoami() returns uuid language sql stable security definer as $$ select auth.uid() $$;
`;

const BAD_FINDINGS = new Map<Invariant, string[]>([
  [rlsEnabled, ["public.forgotten_notes"]],
  [viewsAsInvoker, ["public.open_tasks"]],
  [
    noTableWideWrites,
    [
      ...["anon", "authenticated"].flatMap((role) =>
        ["MAINTAIN", "REFERENCES", "TRIGGER", "TRUNCATE"].map((privilege) => `public.forgotten_notes: ${role} ${privilege}`),
      ),
      "public.tasks: anon TRUNCATE",
      "public.tasks: authenticated UPDATE",
    ],
  ],
  [policiesForRoles, ["public.tasks: anyone finishes open tasks"]],
  [
    policyHelpersInSubselect,
    [
      "public.tasks: anyone finishes open tasks: public.get_my_claim(text) in with check",
      "public.tasks: owners read their tasks: auth.uid() in using",
    ],
  ],
  [
    policyColumnsIndexed,
    [
      "public.tasks.done (public.tasks: anyone finishes open tasks)",
      "public.tasks.owner_id (public.tasks: owners read their tasks)",
    ],
  ],
  [functionSearchPath, ["app_private.whoami()"]],
  [securityDefinerCallers, ["app_private.whoami(): PUBLIC", "app_private.whoami(): anon", "app_private.whoami(): authenticated"]],
  [primaryKeys, ["public.events"]],
  [indexedForeignKeys, ["public.forgotten_notes: forgotten_notes_owner_id_fkey"]],
]);

class Rollback extends Error {}

/** What `work` returns, after undoing everything it did to the database. */
async function rolledBack<T>(sql: Sql, work: (tx: TransactionSql) => Promise<T>): Promise<T> {
  const outcome: { value?: T } = {};
  try {
    await sql.begin(async (tx) => {
      outcome.value = await work(tx);
      throw new Rollback();
    });
  } catch (error) {
    if (!(error instanceof Rollback)) throw error;
  }
  if (!("value" in outcome)) throw new Error("the transaction did not run");
  return outcome.value as T;
}

describe("a deliberately bad migration breaks each invariant", () => {
  let report: Map<Invariant, string[]>;

  beforeAll(async () => {
    report = await rolledBack(db.sql, async (tx) => {
      await tx.unsafe(BAD_MIGRATION);
      return new Map(
        await Promise.all(INVARIANTS.map(async (invariant) => [invariant, await violations(invariant, tx)] as const)),
      );
    });
  });

  it("covers every invariant", () => {
    expect(new Set(BAD_FINDINGS.keys())).toEqual(new Set(INVARIANTS));
  });

  it.each([...BAD_FINDINGS].map(([invariant, expected]) => [invariant.name, invariant, expected] as const))(
    "%s: reports exactly the bad objects",
    (_name, invariant, expected) => {
      expect(report.get(invariant)).toEqual([...expected].sort());
    },
  );

  it("left nothing behind", async () => {
    const [row] = await db.sql`select to_regclass('public.forgotten_notes') as notes, to_regnamespace('app_private') as schema`;
    expect(row).toEqual({ notes: null, schema: null });
  });
});
