import { type LocalSupabase, type LocalSupabaseConfig, startLocalSupabase } from "@solidstart-supabase/local-supabase";
import postgres from "postgres";
import { RLS_CLIENT_ROLE, syncRlsClientPassword } from "../src/server/db/rls-client-login.ts";

/** The app's environment (see .env.example) for a local backend, whichever kind runs it. */
export interface AppEnv extends Record<string, string> {
  VITE_SUPABASE_URL: string;
  VITE_SUPABASE_PUBLISHABLE_KEY: string;
  DATABASE_URL: string;
  ADMIN_DATABASE_URL: string;
  /** The mailbox of a local backend: the app's home page lists the seeded accounts beside it. */
  LOCAL_MAILBOX_URL: string;
}

/** Where `npm run dev` leaves the local backend's values for `npm start`, `npm run role` and tools. */
export const LOCAL_APP_ENV_FILE = ".cache/app.env";

export function withDatabaseUser(url: string, user: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(user);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

/** Maps `supabase status -o env` output; older CLIs print only the legacy JWT keys. */
export function cliAppEnv(status: Record<string, string>): Record<string, string> {
  const pick = (...names: string[]) => names.map((name) => status[name]).find(Boolean);
  const entries = {
    VITE_SUPABASE_URL: pick("API_URL"),
    VITE_SUPABASE_PUBLISHABLE_KEY: pick("PUBLISHABLE_KEY", "ANON_KEY"),
    ADMIN_DATABASE_URL: pick("DB_URL"),
    LOCAL_MAILBOX_URL: pick("MAILPIT_URL", "INBUCKET_URL"),
  };
  return Object.fromEntries(Object.entries(entries).filter((entry): entry is [string, string] => !!entry[1]));
}

export interface LocalApp {
  supabase: LocalSupabase;
  env: AppEnv;
}

/**
 * The local Supabase (the package's one API) plus what the app adds on top: the rls_client login
 * that a migration creates without a password gets `rlsClientPassword`, and DATABASE_URL logs in
 * with it. What `npm run dev`, the built-app tests and the benchmarks run against.
 */
export async function startLocalApp(config: LocalSupabaseConfig, rlsClientPassword: string): Promise<LocalApp> {
  const supabase = await startLocalSupabase(config);
  try {
    const admin = postgres(supabase.dbUrl, { max: 1, onnotice: () => undefined });
    try {
      await syncRlsClientPassword(admin, rlsClientPassword);
    } finally {
      await admin.end();
    }
  } catch (error) {
    await supabase.stop();
    throw error;
  }
  const env: AppEnv = {
    VITE_SUPABASE_URL: supabase.apiUrl,
    VITE_SUPABASE_PUBLISHABLE_KEY: supabase.publishableKey,
    DATABASE_URL: withDatabaseUser(supabase.dbUrl, RLS_CLIENT_ROLE, rlsClientPassword),
    ADMIN_DATABASE_URL: supabase.dbUrl,
    LOCAL_MAILBOX_URL: supabase.mailboxUrl,
  };
  return { supabase, env };
}
