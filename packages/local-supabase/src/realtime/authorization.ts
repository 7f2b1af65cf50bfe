import type { Sql } from "postgres";
import { type CheckedBinding, checkBindings } from "./filters.ts";
import type { Relation } from "./replication-feed.ts";
import type { Auth } from "./tokens.ts";

/** What delivery needs to know about a published table, read once per Relation message. */
export interface TableInfo {
  rls: boolean;
  /** Type names (pg_type.typname) per column, what realtime-js converts values by. */
  typeNames: string[];
  /** Indexes of the primary key columns and their SQL types, in key order. */
  primaryKey: { index: number; sqlType: string }[];
  /** Per role: may it select the table, and which column indexes. */
  privileges: Map<string, { table: boolean; columns: boolean[] }>;
}

/** A row some subscribers may or may not see: looked up by primary key as each group. */
export interface VisibilityRequest {
  auth: Auth;
  relation: Relation;
  key: string[];
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * WALRUS-style authorization: an INSERT/UPDATE on an RLS table reaches a subscriber only if that
 * subscriber's role, with its JWT claims in `request.jwt.claims`, can select the row by primary
 * key. Requests are grouped by (role, claims) and by table, and all groups of a batch go out as one
 * pipelined transaction, so the cost is one round trip per batch of changes, not per subscriber.
 */
export class Authorizer {
  readonly #tables = new WeakMap<Relation, Promise<TableInfo>>();

  constructor(private readonly sql: Sql) {}

  table(relation: Relation): Promise<TableInfo> {
    let info = this.#tables.get(relation);
    if (!info) {
      info = this.#loadTable(relation);
      this.#tables.set(relation, info);
      info.catch(() => this.#tables.delete(relation));
    }
    return info;
  }

  async #loadTable(relation: Relation): Promise<TableInfo> {
    const [row] = await this.sql<{ rls: boolean; pk: { name: string; type: string }[] | null }[]>`
      select c.relrowsecurity as rls,
             (select json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod))
                              order by array_position(i.indkey::int2[], a.attnum))
                from pg_index i
                join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey::int2[])
               where i.indrelid = c.oid and i.indisprimary) as pk
        from pg_class c where c.oid = ${relation.id}`;
    const oids = [...new Set(relation.columns.map((column) => column.typeOid))];
    const types = await this.sql<{ oid: number; typname: string }[]>`
      select oid::int as oid, typname::text as typname from pg_type where oid = any(${oids}::oid[])`;
    const typeName = new Map(types.map((type) => [type.oid, type.typname]));
    const primaryKey = (row?.pk ?? []).flatMap((key) => {
      const index = relation.columns.findIndex((column) => column.name === key.name);
      return index === -1 ? [] : [{ index, sqlType: key.type }];
    });
    return {
      rls: row?.rls ?? false,
      typeNames: relation.columns.map((column) => typeName.get(column.typeOid) ?? "text"),
      primaryKey,
      privileges: new Map(),
    };
  }

  /** SELECT privileges of a role on the table and each column (cached with the table info). */
  async privileges(relation: Relation, role: string): Promise<{ table: boolean; columns: boolean[] }> {
    const info = await this.table(relation);
    const cached = info.privileges.get(role);
    if (cached) return cached;
    const names = relation.columns.map((column) => column.name);
    const [row] = await this.sql<{ table: boolean; columns: boolean[] }[]>`
      select has_table_privilege(${role}, ${relation.id}::oid, 'SELECT') as table,
             array(select has_column_privilege(${role}, ${relation.id}::oid, name, 'SELECT')
                     from unnest(${names}::text[]) with ordinality as n(name, ord) order by ord) as columns`;
    const privileges = { table: row?.table ?? false, columns: row?.columns ?? [] };
    info.privileges.set(role, privileges);
    return privileges;
  }

  /** A join's bindings against the catalog, as Supabase's subscription trigger checks them. */
  checkBindings(bindings: CheckedBinding[], role: string): Promise<string | undefined> {
    return checkBindings(this.sql, bindings, role);
  }

  /**
   * Returns the requests whose row the requester can see. A failing check (a policy raising, a
   * function the role may not execute) hides the row from that group only.
   */
  async visible(requests: VisibilityRequest[]): Promise<Set<VisibilityRequest>> {
    const groups = new Map<string, { auth: Auth; tables: Map<Relation, VisibilityRequest[]> }>();
    for (const request of requests) {
      let group = groups.get(request.auth.groupKey);
      if (!group) {
        group = { auth: request.auth, tables: new Map() };
        groups.set(request.auth.groupKey, group);
      }
      const list = group.tables.get(request.relation) ?? [];
      list.push(request);
      group.tables.set(request.relation, list);
    }
    const checks = [...groups.values()];
    try {
      return await this.#check(checks);
    } catch {
      const results = await Promise.all(checks.map((check) => this.#check([check]).catch(() => new Set())));
      return new Set(results.flatMap((result) => [...result]) as VisibilityRequest[]);
    }
  }

  async #check(groups: { auth: Auth; tables: Map<Relation, VisibilityRequest[]> }[]): Promise<Set<VisibilityRequest>> {
    const visible = new Set<VisibilityRequest>();
    const infos = new Map<Relation, TableInfo>();
    for (const group of groups) {
      for (const relation of group.tables.keys()) infos.set(relation, await this.table(relation));
    }
    // postgres.js queries are lazy: `execute()` sends each one now, so the pipeline keeps this
    // order (set_config before the selects it governs); SET LOCAL ends with the commit.
    await this.sql.begin(async (tx) => {
      const pending: Promise<unknown>[] = [];
      for (const group of groups) {
        pending.push(
          tx`select set_config('role', ${group.auth.role}, true),
                    set_config('request.jwt.claims', ${JSON.stringify(group.auth.claims)}, true)`.execute(),
        );
        for (const [relation, list] of group.tables) {
          const info = infos.get(relation);
          if (!info || info.primaryKey.length === 0) continue;
          const keys = info.primaryKey.map((_, position) => list.map((request) => request.key[position] ?? null));
          const names = info.primaryKey.map((_, position) => `k${position}`);
          const match = info.primaryKey
            .map((key, position) => {
              const column = relation.columns[key.index]?.name ?? "";
              return `t.${quoteIdent(column)} = u.${names[position]}::${key.sqlType}`;
            })
            .join(" and ");
          const arrays = names.map((_, position) => `$${position + 1}::text[]`).join(", ");
          const statement =
            `select (u.ord - 1)::int as position from unnest(${arrays}) with ordinality as u(${names.join(", ")}, ord) ` +
            `where exists (select 1 from ${quoteIdent(relation.schema)}.${quoteIdent(relation.table)} t where ${match})`;
          const query = tx.unsafe<{ position: number }[]>(statement, keys as never[], { prepare: true }).execute();
          pending.push(
            query.then((rows) => {
              for (const row of rows) {
                const request = list[row.position];
                if (request) visible.add(request);
              }
            }),
          );
        }
      }
      await Promise.all(pending);
    });
    return visible;
  }
}
