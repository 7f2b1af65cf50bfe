/** Shared by the bench/ scripts: the stack (a throw-away local Supabase with a request counter on its API). */
import { type IncomingMessage, type ServerResponse } from "node:http";
import type { LocalSupabase } from "local-supabase";
import { startLocalApp } from "../../scripts/local-env.ts";
import { freePort } from "local-supabase/testing";
import { onCleanup } from "./run.ts";

export interface Stack {
  backend: LocalSupabase;
  /** Superuser URL of the bench database (the app's ADMIN_DATABASE_URL). */
  adminUrl: string;
  /** rls_client URL of the bench database (the app's DATABASE_URL). */
  rlsUrl: string;
  /** Auth API requests seen since the last reset, keyed "METHOD /path". */
  counts: Map<string, number>;
  /** Ports reserved for app processes (the backend accepts redirects to them). */
  appPorts: number[];
  /** The backend's state folder (auth-keys.json holds its signing key). */
  stateDir: string;
  /** When set, the backend answers its JWKS endpoint with this document (key rotation). */
  jwksOverride: { keys: unknown[] } | null;
}

/** The app's environment for this stack: its API, key and the two database logins. */
export function appEnv(stack: Stack): Record<string, string> {
  return {
    VITE_SUPABASE_URL: stack.backend.apiUrl,
    VITE_SUPABASE_PUBLISHABLE_KEY: stack.backend.publishableKey,
    DATABASE_URL: stack.rlsUrl,
    ADMIN_DATABASE_URL: stack.adminUrl,
  };
}

export const JWKS_PATH = "GET /auth/v1/.well-known/jwks.json";

/** The stack tests/setup/app.ts starts (startLocalApp), with its auth requests counted. */
export async function startStack(appProcesses = 4): Promise<Stack> {
  const appPorts: number[] = [];
  for (let i = 0; i < appProcesses; i++) appPorts.push(await freePort());
  const { supabase: backend, env } = await startLocalApp(
    {
      ephemeral: true,
      database: "bench",
      configure: (config) => {
        config.auth.site_url = `http://127.0.0.1:${appPorts[0]}`;
        config.auth.additional_redirect_urls = appPorts.map((port) => `http://127.0.0.1:${port}/**`);
        config.auth.rate_limit = {
          ...config.auth.rate_limit,
          email_sent: 10_000,
          sign_in_sign_ups: 10_000,
          token_refresh: 100_000,
        };
      },
    },
    "rls-client-test-password",
  );
  onCleanup(backend.stop);
  const counts = new Map<string, number>();
  const stack: Stack = {
    backend,
    adminUrl: env.ADMIN_DATABASE_URL,
    rlsUrl: env.DATABASE_URL,
    counts,
    appPorts,
    stateDir: backend.dataDir,
    jwksOverride: null,
  };
  // Count every auth API request; answer the JWKS from stack.jwksOverride when one is set.
  const handlers = backend.apiServer.listeners("request") as ((request: IncomingMessage, response: ServerResponse) => void)[];
  backend.apiServer.removeAllListeners("request");
  backend.apiServer.on("request", (request: IncomingMessage, response: ServerResponse) => {
    const key = `${request.method} ${new URL(request.url ?? "/", "http://x").pathname}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (key === JWKS_PATH && stack.jwksOverride) {
      request.resume();
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(stack.jwksOverride));
      return;
    }
    for (const handler of handlers) handler.call(backend.apiServer, request, response);
  });
  return stack;
}
