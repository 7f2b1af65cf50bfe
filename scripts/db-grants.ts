import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { is } from "drizzle-orm";
import { getTableConfig, PgTable } from "drizzle-orm/pg-core";
import drizzleConfig from "../drizzle.config.ts";
import { API_ROLES, type ApiRole, declaredGrants, type GrantState } from "../src/server/db/grants.ts";
import * as schema from "../src/server/db/schema.ts";

/*
 * The grants half of `npm run db:generate` (ADR 0050). The grants of the last generated migration
 * are kept in meta/_grants.json (drizzle-kit reads no file of meta/ whose name starts with "_", the
 * Supabase CLI only the top-level *.sql); `generate` compares schema.ts with it and writes what
 * changed into a `drizzle-kit generate --custom` migration, so the journal, `drizzle-kit check` and
 * the Supabase CLI see an ordinary migration. `check` fails when the two differ (a forgotten
 * db:generate).
 *
 *   db-grants.ts generate [drizzle-kit generate options]   drizzle-kit generate, then the grants
 *   db-grants.ts check
 */

const MIGRATIONS = String(drizzleConfig.out);
const STATE_FILE = join(MIGRATIONS, "meta", "_grants.json");
const JOURNAL = join(MIGRATIONS, "meta", "_journal.json");
const ROLES = Object.keys(API_ROLES).join(", ");

const TABLES = new Set(Object.values(schema).flatMap((value) => (is(value, PgTable) ? [getTableConfig(value).name] : [])));

const EMPTY: GrantState = { relations: {}, functions: {} };

function recordedGrants(): GrantState {
  return existsSync(STATE_FILE) ? (JSON.parse(readFileSync(STATE_FILE, "utf8")) as GrantState) : EMPTY;
}

function currentGrants(): GrantState {
  return declaredGrants(schema);
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** `UPDATE (body)` -> privilege UPDATE on column body; `SELECT` -> table-wide. */
function grantStatements(kind: "table" | "sequence", object: string, roles: Partial<Record<ApiRole, string[]>>): string[] {
  const statements: string[] = [];
  for (const [role, privileges] of Object.entries(roles) as [ApiRole, string[]][]) {
    const wide = privileges.filter((privilege) => !privilege.includes(" ("));
    if (wide.length > 0) statements.push(`grant ${wide.join(", ").toLowerCase()} on ${kind} ${object} to ${role};`);
    const perColumn = new Map<string, string[]>();
    for (const privilege of privileges) {
      const match = /^(\w+) \((.+)\)$/.exec(privilege);
      if (match) perColumn.set(match[1] as string, [...(perColumn.get(match[1] as string) ?? []), quote(match[2] as string)]);
    }
    for (const [privilege, columns] of perColumn) {
      statements.push(`grant ${privilege.toLowerCase()} (${columns.join(", ")}) on ${kind} ${object} to ${role};`);
    }
  }
  return statements;
}

/**
 * The statements that take a database from `before` to `after`. An object whose grants changed is
 * reset (REVOKE ALL, then its declared grants) rather than patched privilege by privilege: a new
 * table starts with whatever the project's default privileges gave, and a column renamed or dropped
 * by the migration before this one no longer has the name a REVOKE on it would need. Objects that
 * left schema.ts get nothing: their migration dropped them, and grants.test.ts finds any left over.
 */
function grantMigration(before: GrantState, after: GrantState): string[] {
  const statements: string[] = [];
  for (const [relation, roles] of Object.entries(after.relations)) {
    if (same(before.relations[relation], roles)) continue;
    const sequence = TABLES.has(relation) ? "table" : "sequence";
    const object = `public.${quote(relation)}`;
    statements.push("", `revoke all on ${sequence} ${object} from ${ROLES};`, ...grantStatements(sequence, object, roles));
  }
  for (const [signature, roles] of Object.entries(after.functions)) {
    if (same(before.functions[signature], roles)) continue;
    const object = `public.${signature}`;
    statements.push("", `revoke all on function ${object} from public, ${ROLES};`);
    if (roles.length > 0) statements.push(`grant execute on function ${object} to ${roles.join(", ")};`);
  }
  return statements;
}

function journalTags(): string[] {
  const journal = JSON.parse(readFileSync(JOURNAL, "utf8")) as { entries: { tag: string }[] };
  return journal.entries.map((entry) => entry.tag);
}

/** `supabase` prefixes are UTC seconds: a second migration in the same second would share one. */
async function waitPastTimestampOf(tag: string) {
  const last = tag.slice(0, 14);
  const stamp = () => new Date().toISOString().replace(/\D/g, "").slice(0, 14);
  while (stamp() <= last) await new Promise((resolve) => setTimeout(resolve, 200));
}

async function generate(name: string) {
  const before = recordedGrants();
  const after = currentGrants();
  const statements = grantMigration(before, after);
  if (statements.length === 0) {
    if (!same(before, after)) writeFileSync(STATE_FILE, `${JSON.stringify(after, null, 2)}\n`);
    console.log("Grants: no changes");
    return;
  }
  const tags = journalTags();
  await waitPastTimestampOf(tags.at(-1) ?? "");
  execFileSync("npx", ["drizzle-kit", "generate", "--custom", `--name=${name}`], { stdio: ["inherit", "ignore", "inherit"] });
  const created = journalTags().filter((tag) => !tags.includes(tag));
  if (created.length !== 1) throw new Error(`expected one new migration from drizzle-kit, found ${created.length}`);
  const file = join(MIGRATIONS, `${created[0]}.sql`);
  const header = [
    "-- Generated by `npm run db:generate` from the grants in src/server/db/schema.ts (ADR 0050): each",
    "-- object whose grants changed loses every privilege of the API roles, then gets what is declared.",
  ];
  writeFileSync(file, `${[...header, ...statements].join("\n")}\n`);
  writeFileSync(STATE_FILE, `${JSON.stringify(after, null, 2)}\n`);
  console.log(`Grants: ${file}`);
}

function check() {
  const recorded = recordedGrants();
  const declared = currentGrants();
  if (same(recorded, declared)) {
    console.log("Grants: schema.ts matches the generated migrations");
    return;
  }
  console.error(`Grants in schema.ts differ from ${STATE_FILE}; run \`npm run db:generate\`. Changes it would write:`);
  console.error(grantMigration(recorded, declared).join("\n"));
  process.exitCode = 1;
}

const [command, ...options] = process.argv.slice(2);
if (command === "generate") {
  execFileSync("npx", ["drizzle-kit", "generate", ...options], { stdio: "inherit" });
  const { values } = parseArgs({ args: options, strict: false, options: { name: { type: "string" } } });
  await generate(typeof values.name === "string" ? `${values.name}_grants` : "grants");
} else if (command === "check") check();
else throw new Error("usage: db-grants.ts generate [--name <name>] | check");
