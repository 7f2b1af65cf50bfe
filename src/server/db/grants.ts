import { getTableColumns, is } from "drizzle-orm";
import { getTableConfig, type PgColumn, PgSequence, PgTable } from "drizzle-orm/pg-core";
import { anonRole, authenticatedRole, serviceRole } from "drizzle-orm/supabase";

/*
 * Grants declared beside their tables in schema.ts (ADR 0050). A project created today gives a new
 * public table, sequence or function no SELECT/INSERT/UPDATE/DELETE, USAGE or EXECUTE for the API
 * roles, but still TRUNCATE, REFERENCES, TRIGGER and MAINTAIN, and PostgreSQL gives EXECUTE on a new
 * function to PUBLIC (ADR 0019). So a declaration is the whole of what a role holds: the generator
 * (scripts/db-grants.ts) revokes everything from an object whose declaration changed, then grants
 * what is declared, and grants.test.ts compares the database with these declarations.
 *
 * Only the privileges an app may hand to an API role can be written: UPDATE per column (RLS checks
 * rows, not columns, and invariants.test.ts refuses table-wide writes), no TRUNCATE, REFERENCES,
 * TRIGGER or MAINTAIN (RLS does not cover them).
 */

/** The API roles Supabase creates, by the names GRANT uses, with drizzle's objects for them. */
export const API_ROLES = { anon: anonRole, authenticated: authenticatedRole, service_role: serviceRole } as const;
export type ApiRole = keyof typeof API_ROLES;
for (const [name, role] of Object.entries(API_ROLES)) {
  if (role.name !== name) throw new Error(`drizzle-orm/supabase names the ${name} role "${role.name}"`);
}

type ColumnsOf<T extends PgTable> = T["_"]["columns"][keyof T["_"]["columns"]];
type Columns<T extends PgTable> = readonly [ColumnsOf<T>, ...ColumnsOf<T>[]];

/** What one role may do on one table: `true` for the whole table, or the columns (of this table). */
export interface TablePrivileges<T extends PgTable> {
  select?: true | Columns<T>;
  insert?: true | Columns<T>;
  update?: Columns<T>;
  delete?: true;
}

export type SequencePrivilege = "usage" | "select";

export interface TableGrantOptions<T extends PgTable> {
  /**
   * The sequences behind serial and identity columns, by column key; none granted by default. An
   * identity column needs none for INSERT (the table's INSERT covers it); a serial one needs USAGE.
   */
  sequences?: Partial<Record<keyof T["_"]["columns"], Partial<Record<ApiRole, readonly SequencePrivilege[]>>>>;
}

const TABLE_GRANTS = Symbol.for("app.tableGrants");
const FUNCTION_GRANTS = Symbol.for("app.functionGrants");

export interface TableGrants {
  readonly [TABLE_GRANTS]: true;
  readonly table: PgTable;
  readonly roles: Partial<Record<ApiRole, TablePrivileges<PgTable>>>;
  readonly sequences: Partial<Record<string, Partial<Record<ApiRole, readonly SequencePrivilege[]>>>>;
}

export interface FunctionGrants {
  readonly [FUNCTION_GRANTS]: true;
  /** Signature as `name(argument types)` (PostgreSQL's `oidvectortypes`), schema public. */
  readonly functions: Readonly<Record<string, readonly ApiRole[]>>;
}

/** Every privilege each API role holds on `table` (and its sequences): nothing else is granted. */
export function tableGrants<T extends PgTable>(
  table: T,
  roles: Partial<Record<ApiRole, TablePrivileges<T>>>,
  options: TableGrantOptions<T> = {},
): TableGrants {
  return {
    [TABLE_GRANTS]: true,
    table,
    roles: roles as Partial<Record<ApiRole, TablePrivileges<PgTable>>>,
    sequences: options.sequences ?? {},
  };
}

/**
 * Who may EXECUTE each function in public. Functions are written in `--custom` migrations, so
 * their signatures are text here: grants.test.ts fails on a function that is missing from this list
 * or listed but missing from the database.
 */
export function functionGrants(functions: Record<string, readonly ApiRole[]>): FunctionGrants {
  return { [FUNCTION_GRANTS]: true, functions };
}

/**
 * The privileges of the API roles, in the shape PostgreSQL's catalogue gives them: per relation
 * (tables and their sequences), role -> sorted privileges, table-wide ("SELECT") or per column
 * ("UPDATE (body)"); roles with nothing are left out. Per function, the sorted roles.
 */
export interface GrantState {
  relations: Record<string, Partial<Record<ApiRole, string[]>>>;
  functions: Record<string, ApiRole[]>;
}

const sorted = <T extends string>(values: Iterable<T>): T[] => [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** Sorted keys, so the state file and its diffs read the same on every run. */
function sortedRecord<V>(record: Record<string, V>): Record<string, V> {
  return Object.fromEntries(sorted(Object.keys(record)).map((key) => [key, record[key] as V]));
}

function sequenceName(tableName: string, column: PgColumn): string | undefined {
  const identity = column.generatedIdentity;
  if (identity) return identity.sequenceName ?? `${tableName}_${column.name}_seq`;
  if (/Serial/.test(column.columnType)) return `${tableName}_${column.name}_seq`;
  return undefined;
}

function tablePrivileges(privileges: TablePrivileges<PgTable>): string[] {
  const result: string[] = [];
  for (const [privilege, target] of Object.entries(privileges) as [string, true | readonly PgColumn[]][]) {
    const name = privilege.toUpperCase();
    if (target === true) result.push(name);
    else for (const column of target) result.push(`${name} (${column.name})`);
  }
  return sorted(new Set(result));
}

function isTableGrants(value: unknown): value is TableGrants {
  return typeof value === "object" && value !== null && TABLE_GRANTS in value;
}

function isFunctionGrants(value: unknown): value is FunctionGrants {
  return typeof value === "object" && value !== null && FUNCTION_GRANTS in value;
}

/**
 * The state schema.ts declares. Throws when a table has no declaration or two, when a declaration
 * names a column of another table or a sequence that does not exist, or on a standalone sequence
 * (none is used; declare one here first).
 */
export function declaredGrants(schema: Record<string, unknown>): GrantState {
  const tables = Object.values(schema).filter((value): value is PgTable => is(value, PgTable));
  const declarations = Object.values(schema).filter(isTableGrants);
  const relations: GrantState["relations"] = {};
  for (const table of tables) {
    const config = getTableConfig(table);
    if ((config.schema ?? "public") !== "public") throw new Error(`${config.name}: grants cover the public schema only`);
    const own = declarations.filter((declaration) => declaration.table === table);
    if (own.length !== 1) {
      throw new Error(`${config.name}: ${own.length} grant declarations; declare exactly one with tableGrants() beside it`);
    }
    const declaration = own[0] as TableGrants;
    const tableState: Partial<Record<ApiRole, string[]>> = {};
    for (const [role, privileges] of Object.entries(declaration.roles) as [ApiRole, TablePrivileges<PgTable>][]) {
      for (const target of Object.values(privileges)) {
        if (target === true) continue;
        for (const column of target as readonly PgColumn[]) {
          if (column.table !== table) throw new Error(`${config.name}: ${role} is granted ${column.name} of another table`);
        }
      }
      const list = tablePrivileges(privileges);
      if (list.length > 0) tableState[role] = list;
    }
    relations[config.name] = sortedRecord(tableState);
    for (const [key, column] of Object.entries(getTableColumns(table))) {
      const sequence = sequenceName(config.name, column);
      const granted = declaration.sequences[key];
      if (!sequence) {
        if (granted) throw new Error(`${config.name}.${column.name} has no sequence to grant`);
        continue;
      }
      const sequenceState: Partial<Record<ApiRole, string[]>> = {};
      for (const [role, privileges] of Object.entries(granted ?? {}) as [ApiRole, SequencePrivilege[]][]) {
        if (privileges.length > 0) sequenceState[role] = sorted(new Set(privileges.map((p) => p.toUpperCase())));
      }
      relations[sequence] = sortedRecord(sequenceState);
    }
  }
  for (const declaration of declarations) {
    if (!tables.includes(declaration.table)) {
      throw new Error(`${getTableConfig(declaration.table).name}: grants declared for a table schema.ts does not export`);
    }
  }
  const standalone = Object.values(schema).filter((value) => is(value, PgSequence));
  if (standalone.length > 0) throw new Error("standalone sequences have no grant declaration yet");
  const functions: GrantState["functions"] = {};
  for (const declaration of Object.values(schema).filter(isFunctionGrants)) {
    for (const [signature, roles] of Object.entries(declaration.functions)) {
      if (signature in functions) throw new Error(`${signature}: declared twice`);
      functions[signature] = sorted(new Set(roles));
    }
  }
  return { relations: sortedRecord(relations), functions: sortedRecord(functions) };
}
