/**
 * `postgres_changes` filters as realtime-js sends them: `column=op.value`, ops eq, neq, lt, lte,
 * gt, gte and `in.(a,b)`. Values compare as the column's type would in Postgres (numbers, booleans,
 * timestamps); other types compare as text.
 */

export type FilterOp = "eq" | "neq" | "lt" | "lte" | "gt" | "gte" | "in";

export interface Filter {
  column: string;
  op: FilterOp;
  values: string[];
}

const OPS = new Set<string>(["eq", "neq", "lt", "lte", "gt", "gte", "in"]);

/** Throws with a message the client sees in a `system` error when the filter cannot be read. */
export function parseFilter(text: string): Filter {
  const match = /^([^=]+)=([a-z]+)\.(.*)$/s.exec(text);
  if (!match) throw new Error(`Error parsing \`filter\` params: ${text}`);
  const [, column = "", op = "", value = ""] = match;
  if (!OPS.has(op)) throw new Error(`Error parsing \`filter\` params: unknown operator ${op}`);
  if (op === "in") {
    const list = /^\((.*)\)$/s.exec(value);
    if (!list) throw new Error(`Error parsing \`filter\` params: ${text}`);
    const values = (list[1] ?? "").split(",").map((item) => item.trim().replace(/^"(.*)"$/s, "$1"));
    if (values.length > 100) throw new Error("Error parsing `filter` params: too many values for in");
    return { column, op: "in", values };
  }
  return { column, op: op as FilterOp, values: [value] };
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

/** SQL semantics: a NULL column or an unknown column never matches. */
export function matches(filter: Filter, value: string | null | undefined, type: string): boolean {
  if (value === null || value === undefined) return false;
  const left = comparable(type, value);
  const rights = filter.values.map((item) => comparable(type, item));
  const [right] = rights;
  if (right === undefined) return false;
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
    case "gte":
      return left >= right;
    case "in":
      return rights.includes(left);
  }
}
