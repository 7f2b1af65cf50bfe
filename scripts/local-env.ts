import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { type LocalSupabase, type LocalSupabaseConfig, startLocalSupabase } from "local-supabase";
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

/**
 * Where `npm run dev` and `npm run db:start` leave the local backend's values for
 * `npm run start:local`, `npm run role` and tools: in the project the local Supabase serves
 * (`SUPABASE_WORKDIR`, as for the Supabase CLI, else the current folder).
 */
export function localStateFile(name: "app.env" | "rls-client-password"): string {
  return join(process.env.SUPABASE_WORKDIR || ".", ".cache", name);
}

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

/** Where the app's database login and API keys come from on a local backend. */
export interface LocalBackendUrls {
  apiUrl: string;
  publishableKey: string;
  /** Superuser URL of the database. */
  dbUrl: string;
  mailboxUrl: string;
}

/**
 * The app's environment on a local backend, plus what the app adds on top of it: the rls_client
 * login that a migration creates without a password gets `rlsClientPassword`, and DATABASE_URL
 * logs in with it.
 */
export async function localAppEnv(backend: LocalBackendUrls, rlsClientPassword: string): Promise<AppEnv> {
  const admin = postgres(backend.dbUrl, { max: 1, onnotice: () => undefined });
  try {
    await syncRlsClientPassword(admin, rlsClientPassword);
  } finally {
    await admin.end();
  }
  return {
    VITE_SUPABASE_URL: backend.apiUrl,
    VITE_SUPABASE_PUBLISHABLE_KEY: backend.publishableKey,
    DATABASE_URL: withDatabaseUser(backend.dbUrl, RLS_CLIENT_ROLE, rlsClientPassword),
    ADMIN_DATABASE_URL: backend.dbUrl,
    LOCAL_MAILBOX_URL: backend.mailboxUrl,
  };
}

/**
 * The rls_client password is per machine: generated once into the git-ignored .cache/, so no
 * credential of the app's own database login is ever committed.
 */
export async function localRlsClientPassword(): Promise<string> {
  const file = localStateFile("rls-client-password");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const password = randomBytes(24).toString("base64url");
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** For `npm run start:local`, `npm run role`, benchmarks and tools run outside `npm run dev`. */
export async function writeAppEnvFile(env: AppEnv): Promise<void> {
  const file = localStateFile("app.env");
  await mkdir(dirname(file), { recursive: true });
  await writeFile(
    file,
    Object.entries(env)
      .map(([key, value]) => `${key}=${value}`)
      .join("\n")
      .concat("\n"),
    { mode: 0o600 },
  );
}

export interface LocalApp {
  supabase: LocalSupabase;
  env: AppEnv;
}

/**
 * The local Supabase (the package's one API) in this process, with the app's environment on top:
 * what the built-app tests and the benchmarks run against.
 */
export async function startLocalApp(config: LocalSupabaseConfig, rlsClientPassword: string): Promise<LocalApp> {
  const supabase = await startLocalSupabase(config);
  try {
    return { supabase, env: await localAppEnv(supabase, rlsClientPassword) };
  } catch (error) {
    await supabase.stop();
    throw error;
  }
}
