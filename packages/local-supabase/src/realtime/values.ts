/**
 * Postgres text output → the JSON that `to_jsonb` gives, which is what Supabase Realtime puts in
 * `record` / `old_record` (realtime-js then converts by the column's type name).
 */

const NUMERIC = new Set(["int2", "int4", "int8", "float4", "float8", "numeric", "oid"]);

/** `2024-05-01 10:00:00.123456+00` → `2024-05-01T10:00:00.123456+00:00`, as to_jsonb prints it. */
function isoTimestamp(text: string, withZone: boolean): string {
  if (!/^\d/.test(text)) return text;
  const iso = text.replace(" ", "T");
  if (!withZone) return iso;
  return iso.replace(/([+-]\d{2})$/, "$1:00").replace(/([+-]\d{2})(\d{2})$/, "$1:$2");
}

function scalar(type: string, text: string): unknown {
  if (type === "bool") return text === "t";
  if (NUMERIC.has(type)) {
    const number = Number(text);
    return Number.isFinite(number) ? number : text;
  }
  if (type === "json" || type === "jsonb") {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  if (type === "timestamptz") return isoTimestamp(text, true);
  if (type === "timestamp") return isoTimestamp(text, false);
  return text;
}

/** One-dimensional array literals; anything else (nested, custom bounds) stays as text. */
function parseArray(text: string): (string | null)[] | undefined {
  if (!text.startsWith("{") || !text.endsWith("}") || text.startsWith("{{")) return undefined;
  const items: (string | null)[] = [];
  const body = text.slice(1, -1);
  if (body === "") return items;
  let i = 0;
  while (i <= body.length) {
    if (body[i] === '"') {
      let value = "";
      i++;
      while (i < body.length && body[i] !== '"') {
        if (body[i] === "\\") i++;
        value += body[i] ?? "";
        i++;
      }
      items.push(value);
      i += 2;
    } else {
      const end = body.indexOf(",", i);
      const raw = body.slice(i, end === -1 ? body.length : end);
      items.push(raw === "NULL" ? null : raw);
      i = end === -1 ? body.length + 1 : end + 1;
    }
  }
  return items;
}

export function toJsonValue(type: string, text: string | null): unknown {
  if (text === null) return null;
  if (type.startsWith("_")) {
    const items = parseArray(text);
    const element = type.slice(1);
    return items ? items.map((item) => (item === null ? null : scalar(element, item))) : text;
  }
  return scalar(type, text);
}
