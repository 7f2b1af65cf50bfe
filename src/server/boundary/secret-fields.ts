/**
 * Form fields that hold a secret the user typed. No response may carry their values: not a
 * cookie (SolidStart's no-JS `flash` cookie echoes every submitted field), a header, a redirect
 * URL or a page. The one list: a new form with a secret field either uses one of these names or
 * adds its name here.
 */
export const SECRET_FIELD_NAMES: ReadonlySet<string> = new Set([
  "password",
  "confirm",
  "new_password",
  "current_password",
  "otp",
  "token",
  "code",
]);

/** Also any field whose name says it holds a password, whatever the form calls it. */
export function isSecretField(name: string): boolean {
  return SECRET_FIELD_NAMES.has(name.toLowerCase()) || /pass(word|code|phrase)/i.test(name);
}
