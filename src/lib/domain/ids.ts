/**
 * A uuid as Postgres and the auth server write them. Checked before a value reaches Postgres,
 * which answers a malformed uuid with an error, never with "no such row".
 */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
