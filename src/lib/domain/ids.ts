/**
 * A uuid as Postgres and the auth server write them: the app's one uuid pattern (the request
 * validators, the token checks, the browser; public.realtime_session_active() repeats it in SQL,
 * checked by tests/integration/domain-rules.test.ts). Checked before a value reaches Postgres,
 * which answers a malformed uuid with an error, never with "no such row".
 */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
