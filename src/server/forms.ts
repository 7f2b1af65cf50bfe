import * as v from "valibot";
import { isDatabaseUnavailable } from "~/server/db/unavailable";
import { HttpError, serviceUnavailable } from "~/server/http-errors";

export const GENERIC_FAILURE = "Something went wrong. Please try again.";

/** Form fields as strings (FormData holds files too; auth forms have none). */
export function formFields(form: FormData): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of form) if (typeof value === "string") fields[key] = value;
  return fields;
}

/** Parses a form; the first validation message becomes a FormError to show next to the form. */
export function parseForm<TSchema extends v.GenericSchema>(schema: TSchema, form: FormData): v.InferOutput<TSchema> {
  const result = v.safeParse(schema, formFields(form));
  if (!result.success) throw new FormError(result.issues[0].message);
  return result.output;
}

/** An error whose message is written for the user; anything else is shown as a generic failure. */
export class FormError extends Error {
  override name = "FormError";
}

/**
 * An Error fit to cross the RPC boundary: SolidStart serializes errors (message AND stack) into the
 * page or the server-function response, so only a message written for the user may travel.
 */
export function publicError(message: string): Error {
  const error = new Error(message);
  error.stack = "";
  return error;
}

/**
 * Runs a loader (a `query()` body) or a form action so that only redirects, 403/404 responses and
 * messages written for the user (FormError, which RateLimited is too) reach the browser; anything
 * else is logged here with its detail and replaced by a generic failure (no account enumeration,
 * no internals). Errors are thrown: SolidStart turns a thrown error into the submission's `error`,
 * with JavaScript (X-Error) and without (the flashed form state).
 */
export async function withPublicErrors<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof Response) throw error;
    if (error instanceof FormError) throw publicError(error.message);
    // A 403 or 503 written for the user; an unreachable database is an outage, not a bug (ADR 0021).
    if (error instanceof HttpError) throw error;
    if (isDatabaseUnavailable(error)) {
      console.warn(`${name}: database unavailable: ${(error as Error).message}`);
      throw serviceUnavailable();
    }
    console.error(`${name} failed:`, error);
    throw publicError(GENERIC_FAILURE);
  }
}
