import type { Sql } from "postgres";

/**
 * `postgres_changes` filters as Supabase Realtime reads them: comma-separated conditions
 * `column=[not.]op.value`, all of which must hold. Ops eq, neq, lt, lte, gt, gte, in, like, ilike,
 * is, match, imatch, isdistinct. Values compare as the column's type would in Postgres (numbers,
 * booleans, timestamps); other types compare as text.
 */

export type FilterOp =
  "eq" | "neq" | "lt" | "lte" | "gt" | "gte" | "in" | "like" | "ilike" | "is" | "match" | "imatch" | "isdistinct";

export interface Filter {
  column: string;
  op: FilterOp;
  negate: boolean;
  /** The value as Supabase stores it (an `in` list as an array literal `{a,b}`). */
  text: string;
  /** One value, or the `in` list (`null` for an unquoted NULL element). */
  values: (string | null)[];
  /** like / ilike / match / imatch, compiled once at join. */
  pattern?: RegExp;
}

const OPS = new Set<string>([
  "eq",
  "neq",
  "lt",
  "lte",
  "gt",
  "gte",
  "in",
  "like",
  "ilike",
  "is",
  "match",
  "imatch",
  "isdistinct",
]);
const IS_VALUES = new Set(["null", "true", "false", "unknown"]);
const MAX_IN_VALUES = 100;

/** A refused binding: the text goes to the client in a `system` error after the join. */
export class FilterError extends Error {}

/** How Elixir's `inspect` prints a list of strings, which Supabase puts into its parse errors. */
const inspectList = (parts: string[]) => `[${parts.map((part) => JSON.stringify(part)).join(", ")}]`;

/**
 * Splits on commas outside parentheses and outside double quotes. A quote opens a quoted value only
 * right after `.`, `(` or `,` (as Supabase's splitter does), so a stray quote inside a value is text.
 */
function splitTopLevel(text: string): string[] {
  const segments: string[] = [];
  let current = "";
  let depth = 0;
  let quoted = false;
  let previous = "";
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (quoted) {
      if (char === "\\" && i + 1 < text.length) {
        current += char + text[++i];
      } else {
        if (char === '"') quoted = false;
        current += char;
      }
    } else if (char === '"' && (previous === "." || previous === "(" || previous === ",")) {
      quoted = true;
      current += char;
    } else if (char === "(") {
      depth++;
      current += char;
    } else if (char === ")") {
      depth = Math.max(0, depth - 1);
      current += char;
    } else if (char === "," && depth === 0) {
      segments.push(current);
      current = "";
      previous = "";
      continue;
    } else {
      current += char;
    }
    previous = char;
  }
  segments.push(current);
  return segments;
}

/** `"a \"b\""` → `a "b"`; a value that is not exactly one quoted string stays as written. */
function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  let result = "";
  for (let i = 1; i < value.length; i++) {
    const char = value[i] as string;
    if (char === "\\") {
      if (i + 1 >= value.length) return value;
      result += value[++i];
    } else if (char === '"') {
      return i === value.length - 1 ? result : value;
    } else {
      result += char;
    }
  }
  return value;
}

/**
 * The `in` list becomes a Postgres array literal upstream (`(a,b)` → `{a,b}`), so its elements
 * follow array-literal rules: double quotes with backslash escapes, unquoted elements trimmed, an
 * unquoted NULL is SQL NULL.
 */
function parseInList(inner: string, whole: string): (string | null)[] {
  const malformed = () => new FilterError(`ERROR 22P02 (invalid_text_representation) malformed array literal: "${whole}"`);
  if (inner.trim() === "") return [];
  const values: (string | null)[] = [];
  let i = 0;
  for (;;) {
    while (inner[i] === " ") i++;
    if (inner[i] === '"') {
      let value = "";
      i++;
      while (i < inner.length && inner[i] !== '"') {
        if (inner[i] === "\\") i++;
        value += inner[i] ?? "";
        i++;
      }
      if (i >= inner.length) throw malformed();
      i++;
      while (inner[i] === " ") i++;
      values.push(value);
    } else {
      let value = "";
      while (i < inner.length && inner[i] !== ",") {
        if (inner[i] === '"' || inner[i] === "{" || inner[i] === "}") throw malformed();
        value += inner[i];
        i++;
      }
      value = value.trim();
      if (value === "") throw malformed();
      values.push(value.toUpperCase() === "NULL" ? null : value);
    }
    if (i >= inner.length) return values;
    if (inner[i] !== ",") throw malformed();
    i++;
  }
}

/** SQL LIKE (default escape `\`) as a regular expression over the whole value. */
function likePattern(pattern: string, caseInsensitive: boolean): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char === "\\" && i + 1 < pattern.length) source += escapeRegExp(pattern[++i] as string);
    else if (char === "%") source += "[\\s\\S]*";
    else if (char === "_") source += "[\\s\\S]";
    else source += escapeRegExp(char);
  }
  return new RegExp(`^${source}$`, caseInsensitive ? "iu" : "u");
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Reading only; what the value means is checked afterwards, as Supabase's subscription trigger does. */
function parseSegment(segment: string): Filter {
  const trimmed = segment.trim();
  if (trimmed === "") {
    throw new FilterError("Error parsing `filter` params: filter must not contain empty segments (check for extra commas)");
  }
  const equals = trimmed.indexOf("=");
  if (equals === -1) throw new FilterError(`Error parsing \`filter\` params: ${inspectList([trimmed])}`);
  const column = trimmed.slice(0, equals);
  let rest = trimmed.slice(equals + 1);
  const negate = rest.startsWith("not.");
  if (negate) rest = rest.slice(4);
  const dot = rest.indexOf(".");
  if (dot === -1) throw new FilterError(`Error parsing \`filter\` params: ${inspectList([rest])}`);
  const op = rest.slice(0, dot);
  const value = rest.slice(dot + 1);
  if (!OPS.has(op)) throw new FilterError(`Error parsing \`filter\` params: ${inspectList([op, value])}`);
  if (op === "in") {
    if (value.length < 2 || !value.startsWith("(") || !value.endsWith(")")) {
      throw new FilterError("Error parsing `filter` params: `in` filter value must be wrapped by parentheses");
    }
    return { column, op, negate, text: `{${value.slice(1, -1)}}`, values: [] };
  }
  const text = unquote(value);
  return { column, op: op as FilterOp, negate, text, values: [text] };
}

/** The checks Supabase's subscription trigger makes that need no catalog lookup. */
function compile(filter: Filter): Filter {
  const { text } = filter;
  switch (filter.op) {
    case "in": {
      const values = parseInList(filter.text.slice(1, -1), filter.text);
      if (values.length > MAX_IN_VALUES)
        throw new FilterError("ERROR P0001 (raise_exception) too many values for `in` filter. Maximum 100");
      return { ...filter, values };
    }
    case "is":
      if (!IS_VALUES.has(text))
        throw new FilterError("ERROR P0001 (raise_exception) invalid value for is filter: must be null, true, false, or unknown");
      return filter;
    case "like":
    case "ilike":
      return { ...filter, pattern: likePattern(text, filter.op === "ilike") };
    case "match":
    case "imatch":
      // Postgres' regex dialect is close to JavaScript's for common patterns; `s` because in
      // Postgres `.` also matches a newline by default.
      try {
        return { ...filter, pattern: new RegExp(text, filter.op === "imatch" ? "is" : "s") };
      } catch (error) {
        throw new FilterError(
          `ERROR P0001 (raise_exception) invalid regular expression for ${filter.op} filter: ${(error as Error).message}`,
        );
      }
    default:
      return filter;
  }
}

export interface BindingParams {
  event: string;
  schema: string;
  table: string;
  select: string[] | undefined;
}

/** Supabase's answer when its subscription insert raises, with the parameters as it logs them. */
function subscriptionError(params: BindingParams, filters: Filter[], reason: string): FilterError {
  const list = filters
    .map((f) => `{${JSON.stringify(f.column)}, ${JSON.stringify(f.op)}, ${JSON.stringify(f.text)}, ${f.negate}}`)
    .join(", ");
  const select = params.select ? inspectList(params.select) : "nil";
  return new FilterError(
    "Unable to subscribe to changes with given parameters. An exception happened so please check your connect " +
      `parameters: [event: ${params.event}, schema: ${params.schema}, table: ${params.table}, filters: [${list}], ` +
      `select: ${select}]. Exception: ${reason}`,
  );
}

/**
 * Throws a FilterError with the text Supabase answers when the filter cannot be read (parse
 * errors) or its values cannot be used (what Supabase's subscription trigger refuses).
 */
export function parseFilters(text: string, params: BindingParams): Filter[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  const parsed = splitTopLevel(trimmed).map(parseSegment);
  try {
    return parsed.map(compile);
  } catch (error) {
    throw subscriptionError(params, parsed, (error as Error).message);
  }
}

const NUMERIC = new Set(["int2", "int4", "int8", "float4", "float8", "numeric", "oid"]);
const TIME = new Set(["timestamptz", "timestamp", "date"]);

function comparable(type: string, text: string): number | string | boolean {
  if (NUMERIC.has(type)) return Number(text);
  if (type === "bool") return text === "t" || text === "true";
  if (TIME.has(type)) {
    const normalized = text.replace(" ", "T").replace(/([+-]\d{2})$/, "$1:00");
    const time = Date.parse(type === "timestamp" && !/[zZ]|[+-]\d{2}:\d{2}$/.test(normalized) ? `${normalized}Z` : normalized);
    return Number.isNaN(time) ? text : time;
  }
  if (type === "uuid") return text.toLowerCase();
  return text;
}

/** Three-valued, as SQL: `null` is UNKNOWN, which a row does not pass, negated or not. */
function evaluate(filter: Filter, value: string | null, type: string): boolean | null {
  const [first = null] = filter.values;
  switch (filter.op) {
    case "is":
      if (first === "null") return value === null;
      if (first === "unknown") return value === null;
      return value !== null && comparable(type, value) === (first === "true");
    case "isdistinct":
      return value === null || first === null || comparable(type, value) !== comparable(type, first);
  }
  if (value === null || (filter.op !== "in" && first === null)) return null;
  const left = comparable(type, value);
  if (filter.op === "in") {
    if (filter.values.some((item) => item !== null && comparable(type, item) === left)) return true;
    return filter.values.includes(null) ? null : false;
  }
  if (filter.pattern) return filter.pattern.test(value);
  const right = comparable(type, first as string);
  switch (filter.op) {
    case "eq":
      return left === right;
    case "neq":
      return left !== right;
    case "lt":
      return left < right;
    case "lte":
      return left <= right;
    case "gt":
      return left > right;
    default:
      return left >= right;
  }
}

/** One condition against one column value (`undefined`: the column is not in the change). */
export function matches(filter: Filter, value: string | null | undefined, type: string): boolean {
  if (value === undefined) return false;
  const result = evaluate(filter, value, type);
  if (result === null) return false;
  return filter.negate ? !result : result;
}

/** Every condition must hold; a condition on a column the change does not carry fails the row. */
export function matchesAll(
  filters: Filter[],
  columns: readonly { name: string }[],
  tuple: readonly (string | null | undefined)[] | null,
  typeNames: readonly string[],
): boolean {
  return filters.every((filter) => {
    const index = columns.findIndex((column) => column.name === filter.column);
    if (index === -1) return false;
    return matches(filter, tuple?.[index], typeNames[index] ?? "text");
  });
}

/**
 * The binding's `select` list: only strings count, an empty list means every column. The primary
 * key is delivered whether listed or not (see Hub).
 */
export function parseSelect(value: unknown, schema: string, table: string): string[] | undefined {
  if (typeof value === "string") {
    throw new FilterError('Error parsing `select` params: expected a list of column name strings, e.g. select: ["col1", "col2"]');
  }
  if (!Array.isArray(value)) return undefined;
  const columns = value.filter((item): item is string => typeof item === "string");
  if (columns.length === 0) return undefined;
  if (schema === "*" || table === "*") {
    throw new FilterError(
      "Column selection is not supported for wildcard subscriptions. Provide an explicit schema and table name.",
    );
  }
  return columns;
}

/** Names Postgres gives the input errors a filter value can raise, as Supabase's answer spells them. */
const ERROR_NAMES: Record<string, string> = {
  "22P02": "invalid_text_representation",
  "22007": "invalid_datetime_format",
  "22008": "datetime_field_overflow",
  "22003": "numeric_value_out_of_range",
  "22001": "string_data_right_truncation",
  "22P05": "untranslatable_character",
};

interface CatalogColumn {
  name: string;
  type: string;
  like: boolean;
  match: boolean;
  imatch: boolean;
}

export interface CheckedBinding extends BindingParams {
  filters: Filter[];
}

/**
 * What Supabase's subscription trigger refuses that needs the table: a filter or select column the
 * role cannot select, a value its column's type cannot read, an operator the type has none of.
 * Returns the text of the `system` error, or undefined when every binding is fine. A binding on
 * every table or a table not found is not checked here.
 */
export async function checkBindings(sql: Sql, bindings: CheckedBinding[], role: string): Promise<string | undefined> {
  for (const binding of bindings) {
    if (binding.table === "*" || (binding.filters.length === 0 && !binding.select)) continue;
    const columns = await sql<CatalogColumn[]>`
      select a.attname::text as name, a.atttypid::regtype::text as type,
             exists (select 1 from pg_operator where oprname = '~~' and oprleft = a.atttypid) as like,
             exists (select 1 from pg_operator where oprname = '~' and oprleft = a.atttypid and oprright = a.atttypid
                       and oprresult = 'boolean'::regtype) as match,
             exists (select 1 from pg_operator where oprname = '~*' and oprleft = a.atttypid and oprright = a.atttypid
                       and oprresult = 'boolean'::regtype) as imatch
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
       where n.nspname = ${binding.schema} and c.relname = ${binding.table} and c.relkind in ('r', 'p')
         and has_column_privilege(${role}, c.oid, a.attnum, 'SELECT')`;
    if (columns.length === 0) continue;
    const byName = new Map(columns.map((column) => [column.name, column]));
    const raise = (reason: string) =>
      subscriptionError(binding, binding.filters, `ERROR P0001 (raise_exception) ${reason}`).message;
    for (const filter of binding.filters) {
      const column = byName.get(filter.column);
      if (!column) return raise(`invalid column for filter ${filter.column}`);
      if (filter.op === "is") {
        if (filter.text !== "null" && column.type !== "boolean") {
          return raise(`is ${filter.text} filter requires a boolean column, got ${column.type}`);
        }
        continue;
      }
      if (filter.op === "like" || filter.op === "ilike" || filter.op === "match" || filter.op === "imatch") {
        if (!column[filter.op === "ilike" ? "like" : filter.op]) {
          return raise(`operator ${filter.op} requires a text-compatible column type, got ${column.type}`);
        }
        continue;
      }
      const type = filter.op === "in" ? `${column.type}[]` : column.type;
      const [problem] = await sql<{ message: string | null; code: string | null }[]>`
        select message, sql_error_code as code from pg_input_error_info(${filter.text}, ${type})`;
      if (problem?.message) {
        const code = problem.code ?? "22P02";
        const name = ERROR_NAMES[code];
        return subscriptionError(binding, binding.filters, `ERROR ${code} ${name ? `(${name}) ` : ""}${problem.message}`).message;
      }
    }
    for (const name of binding.select ?? []) {
      if (!byName.has(name)) return raise(`invalid column for select ${name}`);
    }
  }
  return undefined;
}
