import { serverEnv } from "~/server/env";

export interface AuthOptions {
  /** The embedded backend's test identity provider (GoTrue `external.local`). */
  localProvider: boolean;
  /** Sign-ups need a confirmed email first. */
  confirmEmail: boolean;
}

const TTL_MS = 60_000;
/** The sign-in page waits at most this long for the auth server's settings, then shows its defaults. */
const SETTINGS_TIMEOUT_MS = 3_000;
// Process-wide: the auth server's public settings, identical for every user.
let cached: { at: number; value: Promise<AuthOptions> } | undefined;

async function fetchSettings(): Promise<AuthOptions> {
  const env = serverEnv();
  try {
    const response = await fetch(`${env.VITE_SUPABASE_URL}/auth/v1/settings`, {
      headers: { apikey: env.VITE_SUPABASE_PUBLISHABLE_KEY },
      signal: AbortSignal.timeout(SETTINGS_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`GET /auth/v1/settings: ${response.status}`);
    const settings = (await response.json()) as { external?: Record<string, boolean>; mailer_autoconfirm?: boolean };
    return { localProvider: settings.external?.local === true, confirmEmail: settings.mailer_autoconfirm !== true };
  } catch (error) {
    console.warn(`auth settings unavailable: ${(error as Error).message}`);
    cached = undefined;
    return { localProvider: false, confirmEmail: true };
  }
}

export function authSettings(): Promise<AuthOptions> {
  if (!cached || Date.now() - cached.at > TTL_MS) cached = { at: Date.now(), value: fetchSettings() };
  return cached.value;
}
