import * as v from "valibot";

export const GENERIC_FAILURE = "Something went wrong. Please try again.";

/** Form fields as strings (FormData holds files too; the app's forms have none). */
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
