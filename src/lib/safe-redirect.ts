const BASE = "http://same-origin.invalid";
const MAX_LENGTH = 2048;

function decodeFully(value: string): string | null {
  let current = value;
  for (let i = 0; i < 4; i++) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(current);
    } catch {
      return null;
    }
    if (decoded === current) return current;
    current = decoded;
  }
  // Still changing after several rounds: nobody encodes a path like that by accident.
  return null;
}

/**
 * Returns `next` when it is a same-origin relative path, else `fallback`. Checked on every
 * decoding of the value, because browsers and servers disagree on where decoding stops:
 * `//evil.com`, `/\evil.com`, `/%2F%2Fevil.com`, `%2F%5Cevil.com`, `https:evil.com`,
 * tabs/newlines (which browsers strip out of URLs) and other control characters are all refused.
 */
export function safeNextPath(next: string | null | undefined, fallback = "/"): string {
  if (typeof next !== "string" || next.length === 0 || next.length > MAX_LENGTH) return fallback;
  const decoded = decodeFully(next);
  if (decoded === null) return fallback;
  for (const candidate of [next, decoded]) {
    if (!candidate.startsWith("/")) return fallback;
    if (candidate.startsWith("//") || candidate.includes("\\")) return fallback;
    if ([...candidate].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f)) return fallback;
  }
  let url: URL;
  try {
    url = new URL(next, BASE);
  } catch {
    return fallback;
  }
  if (url.origin !== BASE) return fallback;
  const path = `${url.pathname}${url.search}${url.hash}`;
  // Resolving dot segments can make a path protocol-relative again: `/.//evil.com` -> `//evil.com`.
  if (path.startsWith("//") || path.includes("\\")) return fallback;
  return path;
}

/**
 * `next` as mail templates send it: Supabase's `{{ .RedirectTo }}` is an absolute URL (often this
 * app's own /auth/callback?next=...). A same-origin absolute URL becomes its path, and a link
 * that points at one of the auth landing routes yields that route's own `next`; the result
 * still goes through safeNextPath.
 */
export function nextFromMailLink(next: string | null, requestOrigin: string, fallback = "/"): string {
  if (!next) return fallback;
  let url: URL;
  try {
    url = new URL(next);
  } catch {
    return safeNextPath(next, fallback);
  }
  if (url.origin !== requestOrigin) return fallback;
  if (url.pathname === "/auth/callback" || url.pathname === "/auth/confirm") {
    return safeNextPath(url.searchParams.get("next"), fallback);
  }
  return safeNextPath(`${url.pathname}${url.search}${url.hash}`, fallback);
}
