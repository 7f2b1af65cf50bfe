/** The SQLSTATE of a Postgres error, whether postgres.js threw it or Drizzle wrapped it. */
export function postgresErrorCode(error: unknown): string | undefined {
  const candidate = error as { code?: unknown; cause?: { code?: unknown } };
  const code = candidate.cause?.code ?? candidate.code;
  return typeof code === "string" ? code : undefined;
}
