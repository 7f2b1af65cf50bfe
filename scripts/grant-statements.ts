import { is } from "drizzle-orm";
import { getTableConfig, PgTable } from "drizzle-orm/pg-core";
import { API_ROLES, type ApiRole, type GrantState } from "../src/server/db/grants.ts";

/** The SQL of a grants migration (ADR 0050), apart from the files so grants.test.ts can apply it. */

const ROLES = Object.keys(API_ROLES).join(", ");

export const sameGrants = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const quote = (name: string) => (/^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`);

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
export function grantMigration(before: GrantState, after: GrantState, schema: Record<string, unknown>): string[] {
  const tables = new Set(Object.values(schema).flatMap((value) => (is(value, PgTable) ? [getTableConfig(value).name] : [])));
  const statements: string[] = [];
  for (const [relation, roles] of Object.entries(after.relations)) {
    if (sameGrants(before.relations[relation], roles)) continue;
    const sequence = tables.has(relation) ? "table" : "sequence";
    const object = `public.${quote(relation)}`;
    statements.push(
      "",
      `revoke all on ${sequence} ${object} from public, ${ROLES};`,
      ...grantStatements(sequence, object, roles),
    );
  }
  for (const [signature, roles] of Object.entries(after.functions)) {
    if (sameGrants(before.functions[signature], roles)) continue;
    const object = `public.${signature}`;
    statements.push("", `revoke all on function ${object} from public, ${ROLES};`);
    if (roles.length > 0) statements.push(`grant execute on function ${object} to ${roles.join(", ")};`);
  }
  return statements;
}
