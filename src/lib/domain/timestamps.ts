/**
 * A timestamp as the server renders feed timestamps: UTC, microseconds, fixed width (so string
 * order is time order). Realtime delivers Postgres' own text form, e.g. `2024-05-01 10:00:00.5+02`.
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
