import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { type Backend, type BackendOptions, startBackend } from "../../src/backend.ts";
import { readConfig, type SupabaseConfig } from "../../src/config.ts";
import { freePort } from "../../src/free-port.ts";
import { backend } from "./support.ts";

/**
 * Behaviour that depends on config.toml values the shared backend does not use (autoconfirm, low
 * rate limits). These start a second embedded backend on the same database with an overridden
 * config, so they only run on the embedded backend.
 */
export async function startVariant(change: (config: SupabaseConfig) => void, options: Pick<BackendOptions, "rateLimits"> = {}) {
  const config = structuredClone(readConfig());
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
