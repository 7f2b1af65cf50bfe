import { type Column, getTableName, type SQL, sql, type SQLWrapper } from "drizzle-orm";
import { PgDialect, type PgTable } from "drizzle-orm/pg-core";
import { ISO_MICROS_SQL_FORMAT } from "../../lib/domain/timestamps";

/*
 * Hand-written SQL that still names tables and columns through schema.ts, so a renamed or retyped
 * column fails `tsc` instead of a request. Fragments without parameters are rendered to text once,
 * at module load: a statement built from them has the same text on every request, stays one
 * prepared statement per connection (ADR 0016), and costs drizzle nothing per request beyond
 * gluing the chunks (bench/README.md, T5).
 */

const dialect = new PgDialect();

/** The fragment's text, rendered once; it must hold no parameters (they would be lost). */
export function fixed<T = unknown>(fragment: SQL<T>): SQL<T> {
  const { sql: text, params } = dialect.sqlToQuery(fragment);
  if (params.length > 0) throw new Error(`fixed(): a fragment with parameters cannot be fixed text: ${text}`);
  return sql<T>`${sql.raw(text)}`;
}

/**
 * `"messages" "m"`: the table under the name of one of its drizzle aliases. Inside sql`` an alias
 * renders as its name alone, which is right for its columns but not for a FROM item.
 */
export function fromAs(table: PgTable, aliased: PgTable): SQL {
  return fixed(sql`${table} ${sql.identifier(getTableName(aliased))}`);
}

/** A column's bare name, for the places SQL forbids a qualified one (an INSERT's column list, ON CONFLICT). */
export function nameOf(column: Column): SQL {
  return sql`${sql.identifier(column.name)}`;
}

type ValueOf<C extends Column> = C["_"]["notNull"] extends true ? C["_"]["data"] : C["_"]["data"] | null;
type TextOf<C extends Column> = C["_"]["notNull"] extends true ? string : string | null;

/** The column as selected, typed by the table: nullable exactly when the column is. */
export function valueOf<C extends Column>(column: C): SQL<ValueOf<C>> {
  return sql<ValueOf<C>>`${column}`;
}

/** A column reached through a LEFT JOIN: null when nothing joined, whatever the column allows. */
export function orNull<T>(value: SQL<T>): SQL<T | null> {
  return value;
}

/**
 * A timestamptz as the app's timestamp text (src/lib/domain/timestamps.ts): the keyset cursor must
 * round-trip Postgres' microseconds exactly, which a JS Date (milliseconds) cannot, and the strings
 * sort like the timestamps.
 */
export function isoMicros<C extends Column & { _: { data: Date } }>(column: C): SQL<TextOf<C>>;
export function isoMicros(expression: SQL<Date>): SQL<string>;
export function isoMicros(value: SQLWrapper): SQL {
  return sql`to_char((${value}) at time zone 'UTC', ${sql.raw(`'${ISO_MICROS_SQL_FORMAT}'`)})`;
}
