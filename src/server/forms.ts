import * as v from "valibot";
import { RateLimited } from "~/server/auth/rate-limit";

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
 * Runs a loader (a `query()` body) so that only redirects, 403/404 responses and public messages
 * reach the browser; anything unexpected is logged here with its detail and replaced.
 */
export async function loader<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof Response) throw error;
    if (error instanceof FormError) throw publicError(error.message);
    console.error(`${name} failed:`, error);
    throw publicError(GENERIC_FAILURE);
  }
}

/**
 * Runs a form action: validation and rate-limit messages reach the user as they are; anything else
 * is logged with its detail and shown as a generic failure (no account enumeration, no internals).
 * Redirects pass through. The error is thrown: SolidStart turns a thrown error into the
 * submission's `error`, with JavaScript (X-Error) and without (the flashed form state).
 */
export async function formAction<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof Response) throw error;
    if (error instanceof FormError || error instanceof RateLimited) throw publicError(error.message);
    console.error(`${name} failed:`, error);
    throw publicError(GENERIC_FAILURE);
  }
}
