import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { type Backend, type BackendOptions, startBackend } from "../../src/backend.ts";
import type { SupabaseConfig } from "../../src/config.ts";
import { freePort } from "../../src/free-port.ts";
import { fixtureConfig } from "../fixture.ts";
import { backend } from "./support.ts";

/**
 * Behaviour that depends on settings the shared backend does not use (config.toml values such as
 * autoconfirm or low rate limits, Realtime's private-only mode) or on its own signing key. These
 * start a second embedded backend on the same database, so they only run on the embedded backend.
 */
export async function startVariant(
  change: (config: SupabaseConfig) => void,
  options: Pick<BackendOptions, "rateLimits" | "realtime"> = {},
) {
  const config = fixtureConfig();
  change(config);
  const stateDir = await mkdtemp(join(tmpdir(), "sss-contract-variant-"));
  const started = await startBackend({
    databaseUrl: backend.databaseUrl,
    apiPort: await freePort(),
    mailPort: await freePort(),
    config,
    stateDir,
    ...options,
  });
  return {
    backend: started,
    /** Where its keys live: a test can sign tokens with them. */
    stateDir,
    async stop() {
      await started.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

export function clientOf(server: Backend, key = server.publishableKey): SupabaseClient {
  return createClient(server.apiUrl, key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
}
