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
  return `${url.pathname}${url.search}${url.hash}`;
}
