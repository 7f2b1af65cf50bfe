/**
 * Shortest password the app accepts. The auth server enforces its own minimum
 * (`[auth] minimum_password_length` in supabase/config.toml), and a unit test keeps the two equal,
 * so the form never accepts a password the auth server then refuses, nor the reverse.
 */
export const PASSWORD_MIN_LENGTH = 8;

/** bcrypt ignores everything past 72 bytes: the app refuses a longer password rather than truncate. */
export const PASSWORD_MAX_BYTES = 72;
