/**
 * Copied into a TEMPORARY copy of the project as src/bench-session-switch.ts (never into src/),
 * and src/middleware.ts of that copy calls it instead of updateSession. It selects, per request
 * with the header x-bench-session, else per process with BENCH_SESSION_MIDDLEWARE:
 *   off    the middleware disabled: no cookie is read, every request is anonymous (what a
 *          fail-closed SESSION_MIDDLEWARE=off switch in the app would do);
 *   naive  the anchor: createServerClient + auth.getClaims() on every request;
 *   unset  the app's own updateSession.
 */
import type { FetchEvent } from "@solidjs/start/server";
import type { SupabaseClient } from "@supabase/supabase-js";
import type { VerifiedClaims } from "~/lib/domain/claims";
import { updateSession } from "~/server/session/session";
import { RequestCookies } from "~/server/session/session-cookies";
import { createRequestClient } from "~/server/session/supabase";

const processMode = process.env.BENCH_SESSION_MIDDLEWARE ?? "";

export async function benchSession(event: FetchEvent): Promise<void> {
  // Every mode pays for this lookup alike, so one process can serve all of them side by side.
  const mode = event.request.headers.get("x-bench-session") ?? processMode;
  if (mode === "off") {
    const cookies = new RequestCookies(event);
    const url = new URL(event.request.url);
    let client: SupabaseClient | undefined;
    event.locals.auth = {
      claims: null,
      secondFactorPending: false,
      cookies,
      get supabase() {
        client ??= createRequestClient(cookies, url);
        return client;
      },
    };
    return;
  }
  if (mode === "naive") {
    const cookies = new RequestCookies(event);
    const supabase = createRequestClient(cookies, new URL(event.request.url));
    const { data } = await supabase.auth.getClaims();
    event.locals.auth = {
      claims: (data?.claims as VerifiedClaims | undefined) ?? null,
      secondFactorPending: false,
      cookies,
      supabase,
    };
    return;
  }
  await updateSession(event);
}
