import seed from "../../supabase/seed.sql?raw";
import { serverQuery } from "~/server/boundary/server-function";
import { type ServerEnv, serverEnv } from "~/server/env";

export interface SeededAccount {
  email: string;
  password: string;
  role: string;
}

export interface LocalBackend {
  accounts: SeededAccount[];
  mailboxUrl: string;
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * The accounts supabase/seed.sql documents in its header ("--   alice@example.com   moderator")
 * with the one password it gives them all: read from the seed itself, so the home page cannot
 * drift from what the local database holds.
 */
export function seededAccounts(seedSql: string): SeededAccount[] {
  const password = /password `([^`]+)`/.exec(seedSql)?.[1];
  if (!password) return [];
  return [...seedSql.matchAll(/^--\s+(\S+@\S+)\s+(\w+)/gm)].flatMap(([, email, role]) =>
    email && role ? [{ email, password, role }] : [],
  );
}

/**
 * What the home page tells a newcomer about a local backend, or null. Both conditions must hold:
 * the command that started the backend said so (LOCAL_MAILBOX_URL), and the API is on this
 * machine, so a hosted project's page never shows development passwords, even with a stray
 * variable copied into its environment.
 */
export function localBackend(env: Pick<ServerEnv, "LOCAL_MAILBOX_URL" | "VITE_SUPABASE_URL">): LocalBackend | null {
  if (!env.LOCAL_MAILBOX_URL) return null;
  if (!LOOPBACK_HOSTS.has(new URL(env.VITE_SUPABASE_URL).hostname)) return null;
  return { accounts: seededAccounts(seed), mailboxUrl: env.LOCAL_MAILBOX_URL };
}

export const getLocalBackend = serverQuery("getLocalBackend", () => localBackend(serverEnv()));
