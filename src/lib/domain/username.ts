/*
 * The username rule, for every place that checks one: the Drizzle check constraint, the forms'
 * valibot schemas, the HTML `pattern` attributes and the /messages/direct/open redirect. The
 * sign-up trigger (supabase/migrations, plain SQL) repeats it; tests/integration/domain-rules
 * compares the migrated database with these constants.
 */

/** A regular-expression character class body: usernames are also URL path segments, unencoded. */
export const USERNAME_CHARACTERS = "a-z0-9_";
export const USERNAME_MIN_LENGTH = 3;
export const USERNAME_MAX_LENGTH = 32;

/** For the HTML `pattern` attribute, which anchors the whole value by itself. */
export const USERNAME_HTML_PATTERN = `[${USERNAME_CHARACTERS}]{${USERNAME_MIN_LENGTH},${USERNAME_MAX_LENGTH}}`;
export const USERNAME_PATTERN = new RegExp(`^${USERNAME_HTML_PATTERN}$`);

export const USERNAME_RULE_MESSAGE = `Use ${USERNAME_MIN_LENGTH} to ${USERNAME_MAX_LENGTH} lowercase letters, digits or underscores.`;

export function isUsername(value: string): boolean {
  return USERNAME_PATTERN.test(value);
}
