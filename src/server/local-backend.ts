import type { ServerEnv } from "~/server/env";

export interface SeededAccount {
  email: string;
  password: string;
  role: string;
}

export interface LocalBackend {
  accounts: SeededAccount[];
  mailboxUrl: string;
}

/**
 * The accounts supabase/seed.sql creates, as its header documents them (LOCAL ONLY). Written out
 * here, not read from the seed at build time, so the app builds from src/ alone;
 * tests/unit/local-backend.test.ts keeps the two equal.
 */
export const SEEDED_ACCOUNTS: readonly SeededAccount[] = [
  { email: "alice@example.com", password: "password123", role: "moderator" },
  { email: "bob@example.com", password: "password123", role: "user" },
  { email: "carol@example.com", password: "password123", role: "user" },
];

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * What the home page tells a newcomer about a local backend, or null. Both conditions must hold:
 * the command that started the backend said so (LOCAL_MAILBOX_URL), and the API is on this
 * machine, so a hosted project's page never shows development passwords, even with a stray
 * variable copied into its environment.
 */
export function localBackend(env: Pick<ServerEnv, "LOCAL_MAILBOX_URL" | "VITE_SUPABASE_URL">): LocalBackend | null {
  if (!env.LOCAL_MAILBOX_URL) return null;
  if (!LOOPBACK_HOSTS.has(new URL(env.VITE_SUPABASE_URL).hostname)) return null;
  return { accounts: [...SEEDED_ACCOUNTS], mailboxUrl: env.LOCAL_MAILBOX_URL };
}
