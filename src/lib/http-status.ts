/**
 * Shared by the server (which throws these) and the error pages (which show them): a refusal or
 * an outage crosses the server-function boundary as a plain Error whose own `status` property
 * SolidStart's serializer keeps, so the page a browser sees after client-side navigation is the
 * same one a server render shows.
 */
export const SERVICE_UNAVAILABLE_MESSAGE = "This is temporarily unavailable. Please try again in a moment.";

/** What a 503 tells clients to wait before trying again. */
export const RETRY_AFTER_SECONDS = 5;

export const FORBIDDEN_MESSAGE = "This page is for moderators.";

/** 403 and 503 travel on the error; anything else that reaches an error page is a 500. */
export function errorStatus(error: unknown): 403 | 500 | 503 {
  const status = (error as { status?: unknown } | null)?.status;
  return status === 403 || status === 503 ? status : 500;
}
