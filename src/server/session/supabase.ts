import { createServerClient } from "@supabase/ssr";
import type { SupabaseClient } from "@supabase/supabase-js";
import { getRequestEvent } from "solid-js/web";
import { serverEnv } from "~/server/env";
import { type RequestCookies, sessionCookieName, sessionCookieOptions } from "./session-cookies";

/**
 * The request's one Supabase client. A second client in the same request would read the stale
 * cookies and race this one for the single-use refresh token ("Invalid Refresh Token: Already
 * Used"), so everything asks for this one, created on first use by the session middleware.
 */
export function createRequestClient(cookies: RequestCookies, requestUrl: URL): SupabaseClient {
  const env = serverEnv();
  return createServerClient(env.VITE_SUPABASE_URL, env.VITE_SUPABASE_PUBLISHABLE_KEY, {
    cookies: {
      getAll: () => cookies.getAll(),
      setAll: (toSet, headers) => cookies.setAll(toSet, headers),
    },
    cookieOptions: { name: sessionCookieName(env.VITE_SUPABASE_URL), ...sessionCookieOptions(requestUrl) },
  });
}

export function getSupabaseServerClient(): SupabaseClient {
  const event = getRequestEvent();
  if (!event?.locals.auth) {
    throw new Error("getSupabaseServerClient() outside a request that passed src/middleware.ts");
  }
  return event.locals.auth.supabase;
}
