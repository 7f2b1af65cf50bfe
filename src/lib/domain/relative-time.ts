const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * "just now", "5 min ago", "3 h ago", "2 days ago", then the date: how long ago `iso` was at `now`
 * (milliseconds since the epoch). A time slightly in the future (a clock ahead of the server's)
 * reads "just now" rather than a negative age.
 */
export function relativeTime(iso: string, now: number): string {
  const age = now - Date.parse(iso);
  if (Number.isNaN(age)) return "";
  if (age < MINUTE) return "just now";
  if (age < HOUR) return `${Math.floor(age / MINUTE)} min ago`;
  if (age < DAY) return `${Math.floor(age / HOUR)} h ago`;
  const days = Math.floor(age / DAY);
  if (days === 1) return "yesterday";
  if (days < 7) return `${days} days ago`;
  return new Date(iso).toISOString().slice(0, 10);
}
