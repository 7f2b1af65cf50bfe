/**
 * GoTrue's error model: an HTTP status plus a stable machine code. The body shape depends on the
 * API version the client asks for, because auth-js only trusts `code` when the response echoes
 * the version header; older clients read `error_code` and `msg`.
 */
export class AuthApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra top-level fields GoTrue adds for some errors (e.g. `weak_password.reasons`). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const badRequest = (code: string, message: string) => new AuthApiError(400, code, message);
export const unauthorized = (code: string, message: string) => new AuthApiError(401, code, message);
export const forbidden = (code: string, message: string) => new AuthApiError(403, code, message);
export const notFound = (code: string, message: string) => new AuthApiError(404, code, message);
export const unprocessable = (code: string, message: string) => new AuthApiError(422, code, message);
export const tooManyRequests = (code: string, message: string) => new AuthApiError(429, code, message);

export function weakPassword(message: string, reasons: string[]): AuthApiError {
  return new AuthApiError(422, "weak_password", message, { weak_password: { reasons } });
}

export const API_VERSION_HEADER = "x-supabase-api-version";
const API_VERSION_2024 = "2024-01-01";

/** GoTrue maps any valid date at or after 2024-01-01 to that version; anything else is legacy. */
export function wantsVersionedErrors(header: string | undefined): boolean {
  if (!header || !/^\d{4}-\d{2}-\d{2}$/.test(header)) return false;
  const date = Date.parse(`${header}T00:00:00Z`);
  return Number.isFinite(date) && date >= Date.parse(`${API_VERSION_2024}T00:00:00Z`);
}

export interface ErrorReply {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export function renderError(error: AuthApiError, apiVersionHeader: string | undefined): ErrorReply {
  const headers: Record<string, string> = { "x-sb-error-code": error.code };
  if (wantsVersionedErrors(apiVersionHeader)) {
    headers[API_VERSION_HEADER] = API_VERSION_2024;
    return { status: error.status, headers, body: { code: error.code, message: error.message, ...error.extra } };
  }
  return {
    status: error.status,
    headers,
    body: { code: error.status, error_code: error.code, msg: error.message, ...error.extra },
  };
}
