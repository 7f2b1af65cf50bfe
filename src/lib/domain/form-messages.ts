import { PASSWORD_MAX_BYTES, PASSWORD_MIN_LENGTH } from "./password";
import { USERNAME_RULE_MESSAGE } from "./username";

/*
 * The messages of the forms' field checks, for the server's valibot schemas and for the pages that
 * show each one under its field. Only an error's message reaches the page: with JavaScript the
 * thrown Error is serialized, without it SolidStart's flash cookie carries the message alone. So
 * the message itself says which field it belongs to, through the table below.
 */

export const EMAIL_MISSING = "Enter your email address.";
export const EMAIL_TOO_LONG = "That email address is too long.";
export const EMAIL_INVALID = "Enter a valid email address.";
export const PASSWORD_MISSING = "Enter your password.";
export const PASSWORD_TOO_LONG_INPUT = "That password is too long.";
export const NEW_PASSWORD_MISSING = "Choose a password.";
export const PASSWORD_TOO_SHORT = `Use at least ${PASSWORD_MIN_LENGTH} characters.`;
export const PASSWORD_TOO_LONG = `Use at most ${PASSWORD_MAX_BYTES} bytes.`;
export const PASSWORD_WEAK = "Choose a stronger password.";
export const PASSWORD_REUSED = "Choose a password you have not used here.";
export const PASSWORDS_DIFFER = "The passwords do not match.";
export const USERNAME_MISSING = "Choose a username.";
export const USERNAME_TAKEN = "That username is taken.";

const FIELD_MESSAGES = {
  email: [EMAIL_MISSING, EMAIL_TOO_LONG, EMAIL_INVALID],
  password: [
    PASSWORD_MISSING,
    PASSWORD_TOO_LONG_INPUT,
    NEW_PASSWORD_MISSING,
    PASSWORD_TOO_SHORT,
    PASSWORD_TOO_LONG,
    PASSWORD_WEAK,
    PASSWORD_REUSED,
  ],
  confirm: [PASSWORDS_DIFFER],
  username: [USERNAME_MISSING, USERNAME_RULE_MESSAGE, USERNAME_TAKEN],
} as const satisfies Record<string, readonly string[]>;

export type FieldName = keyof typeof FIELD_MESSAGES;

function messageOf(error: unknown): string | undefined {
  return error instanceof Error && error.message ? error.message : undefined;
}

/** The field a submission's error is about, or undefined for an error about the whole form. */
export function fieldOfError(error: unknown): FieldName | undefined {
  const message = messageOf(error);
  if (message === undefined) return undefined;
  return (Object.keys(FIELD_MESSAGES) as FieldName[]).find((field) =>
    (FIELD_MESSAGES[field] as readonly string[]).includes(message),
  );
}

/** The message to show under `field`, when the submission's error is about that field. */
export function fieldError(error: unknown, field: FieldName): string | undefined {
  return fieldOfError(error) === field ? messageOf(error) : undefined;
}

/** The message to show for the whole form: an error that is about none of `fields`. */
export function formLevelError(error: unknown, fields: readonly FieldName[]): string | undefined {
  const field = fieldOfError(error);
  return field !== undefined && fields.includes(field) ? undefined : messageOf(error);
}
