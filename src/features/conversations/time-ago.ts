/** "now", "5 min", "3 h", "2 d", then the date: short enough for one line of the conversation list. */
export function timeAgo(iso: string, now: number): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return "now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h`;
  if (seconds < 7 * 86_400) return `${Math.floor(seconds / 86_400)} d`;
  return iso.slice(0, 10);
}

/** Up to two letters for an initials avatar: "bob" -> "BO", "mary_ann" -> "MA". */
export function initials(name: string): string {
  const parts = name.split("_").filter(Boolean);
  const letters = parts.length > 1 ? `${parts[0]?.[0] ?? ""}${parts[1]?.[0] ?? ""}` : name.slice(0, 2);
  return letters.toUpperCase();
}
