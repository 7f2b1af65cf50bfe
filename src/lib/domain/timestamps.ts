/*
 * The app's one timestamp text: UTC, microseconds, fixed width, so string order is time order and
 * a keyset cursor round-trips Postgres' precision (a JS Date keeps milliseconds). The server
 * writes it with ISO_MICROS_SQL_FORMAT (src/server/db/fixed-sql.ts), the browser with
 * toIsoMicros; tests/integration/domain-rules.test.ts runs both, and every to_char in the database's
 * functions, in Postgres for the same instants.
 */

/** What every timestamp the app sends looks like, and the only form it accepts back. */
export const ISO_MICROS_PATTERN = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

/** Postgres' to_char pattern for the same text, applied to `<timestamptz> at time zone 'UTC'`. */
export const ISO_MICROS_SQL_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"';

/**
 * Any timestamp text as ISO_MICROS_PATTERN writes it: a JS ISO string, or Postgres' own text form
 * as Realtime delivers it (e.g. `2024-05-01 10:00:00.5+02`, or to_jsonb's `...T10:00:00.5+02:00`).
 */
export function toIsoMicros(value: string): string {
  const match = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?(Z|[+-]\d\d(?::?\d\d)?)?$/.exec(value.trim());
  if (!match) return new Date(value).toISOString().replace("Z", "000Z");
  const [, date, time, fraction = "", zone = "Z"] = match;
  const offset =
    zone === "Z" ? "Z" : zone.length === 3 ? `${zone}:00` : zone.includes(":") ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const utc = new Date(`${date}T${time}${offset}`).toISOString().slice(0, 19);
  return `${utc}.${fraction.padEnd(6, "0")}Z`;
}
