import type { Sql, TransactionSql } from "postgres";

/*
 * Rules every migrated database must keep, in the spirit of Supabase's database linter: each
 * invariant lists the objects that break it. A finding may only stand if it is declared in the
 * invariant's `allowed` list with the reason; invariants.test.ts runs them on main's migrations
 * (nothing may be found) and on a deliberately bad migration (each must find its object).
 *
 * The exact privileges of every object in public are pinned in grants.test.ts; these are the
 * rules behind them, applied to every schema the app's migrations own.
 */

export type Queryable = Sql | TransactionSql;

export interface Invariant {
  name: string;
  /** Finding -> why it is acceptable. A declared finding that no longer occurs fails a test. */
  allowed: Record<string, string>;
  /** Every finding, allowed ones included, sorted. */
  find(sql: Queryable): Promise<string[]>;
}

/**
 * Schemas the platform owns (Supabase's services and the local backend's bootstrap); every
 * other schema, public included, is the app's, so a schema a later migration creates is checked
 * without being listed anywhere.
 */
export const PLATFORM_SCHEMAS = [
  "auth",
  "extensions",
  "graphql",
  "graphql_public",
  "information_schema",
  "net",
  "pgbouncer",
  "realtime",
  "storage",
  "supabase_functions",
  "supabase_migrations",
  "vault",
];

/** The roles anyone holding the publishable key or a user's token acts as. */
const API_ROLES = ["anon", "authenticated"];

/** A filter for queries that name pg_namespace `n`: the app's schemas (not pg_catalog, pg_toast, temp). */
const inAppSchema = (sql: Queryable) => sql`(n.nspname <> all(${PLATFORM_SCHEMAS}::text[]) and n.nspname !~ '^pg_')`;

async function findings(query: Promise<{ finding: string }[]>): Promise<string[]> {
  return (await query).map((row) => row.finding).sort();
}

export const rlsEnabled: Invariant = {
  name: "every table in the app's schemas has row level security on",
  allowed: {},
  find: (sql) =>
    findings(
      sql`select format('%I.%I', n.nspname, c.relname) as finding
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where c.relkind in ('r', 'p') and not c.relrowsecurity and ${inAppSchema(sql)}`,
    ),
};

export const viewsAsInvoker: Invariant = {
  // A view reads its tables with its owner's rights, so without security_invoker it skips their
  // policies for every caller.
  name: "every view in the app's schemas runs with the caller's rights (security_invoker)",
  allowed: {},
  find: (sql) =>
    findings(
      sql`select format('%I.%I', n.nspname, c.relname) as finding
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where c.relkind = 'v' and ${inAppSchema(sql)}
             and not coalesce('security_invoker=true' = any(c.reloptions) or 'security_invoker=on' = any(c.reloptions), false)`,
    ),
};

/*
 * RLS filters the rows of SELECT/INSERT/UPDATE/DELETE; a table-wide UPDATE still lets a user
 * rewrite columns no policy looks at (owner ids, timestamps), and TRUNCATE, REFERENCES, TRIGGER
 * and MAINTAIN are not filtered by RLS at all. Column-level UPDATE grants are the way to give
 * writes. has_*_privilege also counts grants to PUBLIC and to roles they inherit from.
 */
export const noTableWideWrites: Invariant = {
  name: "anon and authenticated hold no table-wide UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER or MAINTAIN",
  allowed: {},
  find: (sql) =>
    findings(
      sql`select format('%I.%I: %s %s', n.nspname, c.relname, r.role, p.privilege) as finding
            from pg_class c join pg_namespace n on n.oid = c.relnamespace,
                 unnest(${API_ROLES}::text[]) as r(role),
                 unnest(case when c.relkind = 'S' then array['UPDATE']
                             else array['UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER', 'MAINTAIN'] end) as p(privilege)
           where c.relkind in ('r', 'p', 'v', 'm', 'f', 'S') and ${inAppSchema(sql)}
             and case when c.relkind = 'S' then has_sequence_privilege(r.role, c.oid, p.privilege)
                      else has_table_privilege(r.role, c.oid, p.privilege) end`,
    ),
};

export const primaryKeys: Invariant = {
  name: "every table in the app's schemas has a primary key",
  allowed: {},
  find: (sql) =>
    findings(
      sql`select format('%I.%I', n.nspname, c.relname) as finding
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where c.relkind in ('r', 'p') and ${inAppSchema(sql)}
             and not exists (select 1 from pg_constraint k where k.conrelid = c.oid and k.contype = 'p')`,
    ),
};

// A foreign key without an index on its columns makes every delete or key update on the
// referenced table scan the referencing one (auth.users -> profiles -> messages cascade).
export const indexedForeignKeys: Invariant = {
  name: "every foreign key's columns lead some index of its table",
  allowed: {},
  find: (sql) =>
    findings(
      sql`select format('%I.%I: %s', n.nspname, c.relname, k.conname) as finding
            from pg_constraint k
            join pg_class c on c.oid = k.conrelid
            join pg_namespace n on n.oid = c.relnamespace
           where k.contype = 'f' and ${inAppSchema(sql)}
             and not exists (
               select 1
                 from pg_index i, lateral (select (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(k.conkey)] as leading) l
                where i.indrelid = k.conrelid and i.indisvalid and cardinality(k.conkey) <= i.indnkeyatts
                  and l.leading @> k.conkey and l.leading <@ k.conkey)`,
    ),
};

export const policiesForRoles: Invariant = {
  name: "no policy applies to PUBLIC (name the roles it is for, usually authenticated)",
  allowed: {},
  find: (sql) =>
    findings(
      sql`select format('%I.%I: %s', n.nspname, c.relname, p.polname) as finding
            from pg_policy p
            join pg_class c on c.oid = p.polrelid
            join pg_namespace n on n.oid = c.relnamespace
           where 0::oid = any(p.polroles) and ${inAppSchema(sql)}`,
    ),
};

export const functionSearchPath: Invariant = {
  // Security definer or not: a trigger or helper that resolves names through the caller's
  // search_path can be handed another schema's `uid()` or operator.
  name: "every function in the app's schemas sets search_path",
  allowed: {},
  find: (sql) =>
    findings(
      sql`select format('%I.%I(%s)', n.nspname, p.proname, oidvectortypes(p.proargtypes)) as finding
            from pg_proc p join pg_namespace n on n.oid = p.pronamespace
           where ${inAppSchema(sql)}
             and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
             and not exists (select 1 from unnest(p.proconfig) as setting where setting like 'search_path=%')`,
    ),
};

/*
 * A security definer function runs with its owner's rights (the migrations' superuser), so who
 * may call it is the whole of its protection. Findings are "function: role" for PUBLIC and the
 * API roles; service_role and the admin connection are trusted and not policed here.
 */
export const securityDefinerCallers: Invariant = {
  name: "security definer functions are executable by PUBLIC, anon or authenticated only where declared",
  allowed: {
    "public.claims_are_stale(): authenticated":
      "SQL callers compare their token with their stored app_metadata (ADR 0014); it reads the caller's own auth.users row only",
    "public.get_my_claim(text): authenticated":
      "the claims API for SQL callers (ADR 0012); it returns the caller's own request.jwt.claims, nothing stored",
    "public.get_my_claims(): authenticated":
      "the claims API for SQL callers (ADR 0012); it returns the caller's own request.jwt.claims, nothing stored",
    "public.moderator_may_act_at_aal1(): authenticated":
      "the moderator policies' step-up check (ADR 0034); it answers for the caller's own factors and one setting, nothing else",
    "public.realtime_session_active(): authenticated":
      "the realtime.messages policies' session check (ADR 0040); it answers whether the caller's own token's session exists, nothing else",
    "public.is_claims_admin(): authenticated":
      "answers from the caller's session role only and changes nothing (ADR 0019); set_claim relies on it",
  },
  find: (sql) =>
    findings(
      sql`select format('%I.%I(%s): %s', n.nspname, p.proname, oidvectortypes(p.proargtypes), r.role) as finding
            from pg_proc p join pg_namespace n on n.oid = p.pronamespace,
                 unnest(array['PUBLIC'] || ${API_ROLES}::text[]) as r(role)
           where p.prosecdef and ${inAppSchema(sql)}
             and case when r.role = 'PUBLIC'
                      then exists (select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                                    where a.grantee = 0 and a.privilege_type = 'EXECUTE')
                      else has_function_privilege(r.role, p.oid, 'EXECUTE') end`,
    ),
};

interface PolicyRow {
  policy: string;
  relid: number;
  qual: string | null;
  check: string | null;
}

async function appPolicies(sql: Queryable): Promise<PolicyRow[]> {
  return await sql<PolicyRow[]>`
    select format('%I.%I: %s', n.nspname, c.relname, p.polname) as policy, c.oid::int8 as relid,
           p.polqual::text as qual, p.polwithcheck::text as check
      from pg_policy p
      join pg_class c on c.oid = p.polrelid
      join pg_namespace n on n.oid = c.relnamespace
     where ${inAppSchema(sql)}`.then((rows) => rows.map((row) => ({ ...row, relid: Number(row.relid) })));
}

/*
 * Supabase's auth_rls_initplan lint. `auth.uid()` in a policy is evaluated once per row; as
 * `(select auth.uid())` the planner runs it once per statement (an InitPlan). That holds for any
 * non-immutable function whose arguments do not depend on the row: auth.uid/jwt/role/email and
 * the app's claims helpers. Matching is done on the stored expression tree by function oid, so
 * an unqualified call, an alias or a rename cannot slip past a regular expression.
 */
export const policyHelpersInSubselect: Invariant = {
  name: "policies call auth.* and the app's request helpers through a sub-select",
  allowed: {},
  async find(sql) {
    const helpers = new Map(
      (
        await sql<{ oid: number; name: string }[]>`
          select p.oid::int8 as oid, format('%I.%I(%s)', n.nspname, p.proname, oidvectortypes(p.proargtypes)) as name
            from pg_proc p join pg_namespace n on n.oid = p.pronamespace
           where p.provolatile <> 'i' and (n.nspname = 'auth' or ${inAppSchema(sql)})`
      ).map((row) => [Number(row.oid), row.name]),
    );
    const found = new Set<string>();
    for (const policy of await appPolicies(sql)) {
      for (const [clause, tree] of [
        ["using", policy.qual],
        ["with check", policy.check],
      ] as const) {
        if (tree === null) continue;
        for (const node of parseNodeTree(tree)) {
          walk(node, { inSubLink: false }, (current, state) => {
            if (current.type === "SUBLINK") return { inSubLink: true };
            const name = helpers.get(Number(current.fields.get("funcid")));
            if (current.type === "FUNCEXPR" && name !== undefined && !state.inSubLink && !containsVar(current)) {
              found.add(`${policy.policy}: ${name} in ${clause}`);
            }
            return state;
          });
        }
      }
    }
    return [...found].sort();
  },
};

/*
 * Every column a policy's USING clause reads filters the table's rows for every query, so it must
 * lead an index (WITH CHECK only tests the new row and needs none). Columns are the expression's
 * Vars that point at the policy's table: level 0 outside sub-selects, or as many levels up as
 * sub-selects enclose them.
 */
export const policyColumnsIndexed: Invariant = {
  name: "every column a policy's USING clause reads leads some index of its table",
  allowed: {},
  async find(sql) {
    const rows = await sql<{ relid: number; attnum: number; name: string; indexed: boolean }[]>`
      select a.attrelid::int8 as relid, a.attnum, format('%I.%I.%I', n.nspname, c.relname, a.attname) as name,
             exists (select 1 from pg_index i where i.indrelid = a.attrelid and i.indisvalid and i.indkey[0] = a.attnum) as indexed
        from pg_attribute a
        join pg_class c on c.oid = a.attrelid
        join pg_namespace n on n.oid = c.relnamespace
       where a.attnum > 0 and not a.attisdropped and ${inAppSchema(sql)}
         and exists (select 1 from pg_policy p where p.polrelid = a.attrelid)`;
    const columns = new Map(rows.map((row) => [`${Number(row.relid)}:${row.attnum}`, row]));
    const found = new Set<string>();
    for (const policy of await appPolicies(sql)) {
      if (policy.qual === null) continue;
      for (const node of parseNodeTree(policy.qual)) {
        walk(node, { queries: 0 }, (current, state) => {
          if (current.type === "QUERY") return { queries: state.queries + 1 };
          if (current.type === "VAR" && Number(current.fields.get("varlevelsup")) === state.queries) {
            const attribute = columns.get(`${policy.relid}:${current.fields.get("varattno")}`);
            if (attribute && !attribute.indexed) found.add(`${attribute.name} (${policy.policy})`);
          }
          return state;
        });
      }
    }
    return [...found].sort();
  },
};

export const INVARIANTS: Invariant[] = [
  rlsEnabled,
  viewsAsInvoker,
  noTableWideWrites,
  policiesForRoles,
  policyHelpersInSubselect,
  policyColumnsIndexed,
  functionSearchPath,
  securityDefinerCallers,
  primaryKeys,
  indexedForeignKeys,
];

/** The findings not declared in `allowed`. */
export async function violations(invariant: Invariant, sql: Queryable): Promise<string[]> {
  return (await invariant.find(sql)).filter((finding) => !(finding in invariant.allowed));
}

// Stored expressions (pg_policy.polqual, pg_node_tree) ----------------------------------------

export interface TreeNode {
  type: string;
  /** Scalar fields (`:funcid 16593`); lists and nested nodes are in `children`. */
  fields: Map<string, string>;
  children: TreeNode[];
}

/*
 * The text form of a node tree is `{TYPE :field value ...}` with lists in `(...)` and datums in
 * `[...]`. PostgreSQL escapes whitespace, braces, parentheses and backslashes inside tokens with a
 * backslash, and prints constants as bytes, so counting unescaped braces is exact.
 */
export function parseNodeTree(text: string): TreeNode[] {
  const roots: TreeNode[] = [];
  const stack: TreeNode[] = [];
  const tokens = tokenize(text);
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index] ?? "";
    if (token === "{") {
      const node: TreeNode = { type: tokens[++index] ?? "", fields: new Map(), children: [] };
      (stack.at(-1)?.children ?? roots).push(node);
      stack.push(node);
    } else if (token === "}") {
      if (stack.pop() === undefined) throw new Error("unbalanced node tree");
    } else if (token.startsWith(":")) {
      const value = tokens[index + 1];
      const current = stack.at(-1);
      if (current && value !== undefined && !"{}()[]".includes(value) && !value.startsWith(":")) {
        current.fields.set(token.slice(1), value);
        index++;
      }
    }
  }
  if (stack.length > 0) throw new Error("unbalanced node tree");
  return roots;
}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let current = "";
  const flush = () => {
    if (current !== "") tokens.push(current);
    current = "";
  };
  for (let index = 0; index < text.length; index++) {
    const char = text[index] ?? "";
    if (char === "\\") {
      current += text[++index] ?? "";
    } else if ("{}()[]".includes(char)) {
      flush();
      tokens.push(char);
    } else if (/\s/.test(char)) {
      flush();
    } else {
      current += char;
    }
  }
  flush();
  return tokens;
}

/** Depth-first; `visit` returns the state its node's children see. */
function walk<S>(node: TreeNode, state: S, visit: (node: TreeNode, state: S) => S): void {
  const inner = visit(node, state);
  for (const child of node.children) walk(child, inner, visit);
}

function containsVar(node: TreeNode): boolean {
  return node.type === "VAR" || node.children.some(containsVar);
}
