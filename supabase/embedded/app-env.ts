/** The app's environment (see .env.example) for a local backend, whichever kind runs it. */
export interface AppEnv extends Record<string, string> {
  VITE_SUPABASE_URL: string;
  VITE_SUPABASE_PUBLISHABLE_KEY: string;
  SUPABASE_SECRET_KEY: string;
  DATABASE_URL: string;
  ADMIN_DATABASE_URL: string;
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
    SUPABASE_SECRET_KEY: pick("SECRET_KEY", "SERVICE_ROLE_KEY"),
    ADMIN_DATABASE_URL: pick("DB_URL"),
  };
  return Object.fromEntries(Object.entries(entries).filter((entry): entry is [string, string] => !!entry[1]));
}
