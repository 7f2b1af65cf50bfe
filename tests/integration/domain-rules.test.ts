import { describe, expect, it } from "vitest";
import { MESSAGE_MAX_LENGTH } from "~/lib/domain/messages";
import { APP_ROLES, ROLE_CLAIM } from "~/lib/domain/roles";
import { USERNAME_CHARACTERS, USERNAME_MAX_LENGTH, USERNAME_MIN_LENGTH, USERNAME_PATTERN } from "~/lib/domain/username";
import { useTestDatabase } from "local-supabase/testing/vitest";

/*
 * The rules in src/lib/domain/ as the migrated database holds them. Check constraints and policies
 * are generated from the constants, so a difference here means a changed constant without
 * `npm run db:generate`; the sign-up trigger is hand-written SQL and repeats the username rule.
 */
const db = useTestDatabase();

async function constraint(table: string, name: string): Promise<string> {
  const [row] = await db.sql<{ definition: string }[]>`
    select pg_get_constraintdef(c.oid) as definition
      from pg_constraint c
     where c.conrelid = ${`public.${table}`}::regclass and c.conname = ${name}`;
  if (!row) throw new Error(`no constraint ${name} on ${table}`);
  return row.definition;
}

async function functionSource(name: string): Promise<string> {
  const [row] = await db.sql<{ source: string }[]>`
    select p.prosrc as source from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'public' and p.proname = ${name}`;
  if (!row) throw new Error(`no function public.${name}`);
  return row.source;
}

describe("domain rules in the migrated database", () => {
  it("profiles.username's check constraint is USERNAME_PATTERN", async () => {
    expect(await constraint("profiles", "profiles_username_format")).toContain(`'${USERNAME_PATTERN.source}'`);
  });

  it("messages.body's check constraint allows MESSAGE_MAX_LENGTH characters", async () => {
    const definition = await constraint("messages", "messages_body_length");
    const bounds = [...definition.matchAll(/char_length\(btrim\(body\)\) <= (\d+)/g)].map((match) => Number(match[1]));
    expect(bounds).toEqual([MESSAGE_MAX_LENGTH]);
  });

  it("the sign-up trigger keeps a username the user asked for only when it matches USERNAME_PATTERN", async () => {
    const source = await functionSource("handle_new_user");
    const patterns = [...source.matchAll(/~ '([^']*)'/g)].map((match) => match[1]);
    expect(patterns).toEqual([USERNAME_PATTERN.source]);
  });

  it("the sign-up trigger derives usernames of USERNAME_CHARACTERS within the length limits", async () => {
    const source = await functionSource("handle_new_user");
    // Characters outside the class become underscores.
    expect(source).toContain(`'[^${USERNAME_CHARACTERS}]+', '_'`);
    expect(source).toMatch(new RegExp(`char_length\\(base\\) < ${USERNAME_MIN_LENGTH}\\b`));
    // A taken name gets "_" and a 6-character suffix: the base is cut so the sum is the maximum.
    const base = Number(/'_'\),\s*(\d+)\);/.exec(source)?.[1]);
    const suffix = Number(/base \|\| '_' \|\| substr\(md5\([^;]*\), 1, (\d+)\)/.exec(source)?.[1]);
    expect(base + 1 + suffix).toBe(USERNAME_MAX_LENGTH);
  });

  it("policies read the role from ROLE_CLAIM and compare it with a role in APP_ROLES", async () => {
    const rows = await db.sql<{ name: string; expression: string }[]>`
      select policyname as name, concat_ws(' ', qual, with_check) as expression
        from pg_policies where schemaname = 'public'`;
    const checks = rows.flatMap((row) =>
      [...row.expression.matchAll(/'app_metadata'::text\) ->> '([^']*)'::text\)\) = '([^']*)'::text/g)].map((match) => ({
        policy: row.name,
        claim: match[1],
        role: match[2],
      })),
    );
    expect(checks.length).toBeGreaterThan(0);
    for (const check of checks) {
      expect(check.claim, check.policy).toBe(ROLE_CLAIM);
      expect(APP_ROLES, check.policy).toContain(check.role);
    }
    // Every mention of app_metadata in a policy is one of the comparisons above.
    const mentions = rows.reduce((count, row) => count + row.expression.split("'app_metadata'").length - 1, 0);
    expect(mentions).toBe(checks.length);
  });
});
