/**
 * Errors that mean "the database cannot be reached right now", not "this query is wrong": the
 * socket could not be opened or was lost (postgres.js puts the Node error code or its own
 * CONNECTION_* / CONNECT_TIMEOUT code on the error), or Postgres is shutting down, starting up or
 * out of connections (SQLSTATE classes 08, 57P, and 53300). Drizzle wraps query errors, so the
 * cause chain is followed.
 */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  // The app's own: no pooled connection became free in time (src/server/db/client.ts).
  "POOL_TIMEOUT",
]);

function isUnavailableCode(code: unknown): boolean {
  if (typeof code !== "string") return false;
  return NETWORK_CODES.has(code) || code.startsWith("08") || code.startsWith("57P") || code === "53300";
}

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === "object" && depth < 5; depth++) {
    const candidate = current as { code?: unknown; cause?: unknown; errors?: unknown };
    if (isUnavailableCode(candidate.code)) return true;
    // Node reports a refused connection to a host with several addresses as an AggregateError.
    if (Array.isArray(candidate.errors) && candidate.errors.some((inner) => isDatabaseUnavailable(inner))) return true;
    current = candidate.cause;
  }
  return false;
}
