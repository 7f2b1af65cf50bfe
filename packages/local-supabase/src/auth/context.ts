import type { Sql } from "postgres";
import type { SupabaseConfig } from "../config.ts";
import type { AuthKeys } from "./keys.ts";
import type { Mailer } from "./mail.ts";
import type { RateLimiter } from "./rate-limit.ts";

/** Everything a route handler needs, built once by the server. */
export interface AuthContext {
  sql: Sql;
  config: SupabaseConfig;
  keys: AuthKeys;
  /** `<api url>/auth/v1`: the `iss` claim and the base of links in mails. */
  issuer: string;
  mailer: Mailer;
  limiter: RateLimiter;
  log: (line: string) => void;
}
