import * as v from "valibot";
import { PublicEnv, parseEnv, postgresUrl } from "~/lib/env-schema";

const ServerEnv = v.object({
  ...PublicEnv.entries,
  /** The `rls_client` login: may only become anon / authenticated. */
  DATABASE_URL: postgresUrl("DATABASE_URL"),
  /** Full-power connection for administrative code paths only. */
  ADMIN_DATABASE_URL: postgresUrl("ADMIN_DATABASE_URL"),
  /**
   * Named prepared statements (the default). Set to false behind a transaction-mode pooler
   * (Supavisor on port 6543), which cannot keep a statement prepared between transactions.
   */
  DATABASE_PREPARE: v.pipe(
    v.optional(v.string(), ""),
    v.transform((value) => value.trim()),
    v.picklist(["", "true", "false"], "DATABASE_PREPARE must be true, false (behind a transaction-mode pooler) or unset"),
    v.transform((value) => value !== "false"),
  ),
  /**
   * Set by `npm run dev` (and the tests) when they start a local backend, which ran
   * supabase/seed.sql: its mailbox (Mailpit API). The home page then lists the seeded accounts.
   * Never set it for a hosted project.
   */
  LOCAL_MAILBOX_URL: v.pipe(
    v.optional(v.string(), ""),
    v.transform((value) => value.trim()),
    v.check((value) => value === "" || URL.canParse(value), "LOCAL_MAILBOX_URL must be an absolute URL or unset"),
  ),
  /** Believe X-Forwarded-For (per-IP rate limits) only behind a proxy that sets it. */
  TRUST_PROXY: v.pipe(
    v.optional(v.string(), ""),
    v.transform((value) => value.trim()),
    v.picklist(["", "0", "1"], "TRUST_PROXY must be 1 (behind a proxy that sets X-Forwarded-For), 0 or unset"),
    v.transform((value) => value === "1"),
  ),
  /**
   * 1: every moderator needs a verified second factor (and an aal2 session) to moderate; without
   * one they are sent to enrol. Unset or 0: only moderators who have a factor must use it.
   */
  MODERATORS_REQUIRE_FACTOR: v.pipe(
    v.optional(v.string(), ""),
    v.transform((value) => value.trim()),
    v.picklist(["", "0", "1"], "MODERATORS_REQUIRE_FACTOR must be 1 (every moderator needs a second factor), 0 or unset"),
    v.transform((value) => value === "1"),
  ),
});

export type ServerEnv = v.InferOutput<typeof ServerEnv>;

export function parseServerEnv(source: Record<string, string | undefined>): ServerEnv {
  return parseEnv(ServerEnv, source);
}

let parsed: ServerEnv | undefined;

/**
 * The validated server environment. src/middleware.ts calls this when the server loads, so a bad
 * variable stops the app at boot with a message naming it, instead of failing a later request.
 */
export function serverEnv(): ServerEnv {
  parsed ??= parseServerEnv(process.env);
  return parsed;
}
