import { getRequestEvent } from "solid-js/web";
import type { RealtimeAccess } from "~/lib/realtime";
import { readStoredSession, sessionCookieName } from "~/server/session/session-cookies";
import { serverEnv } from "~/server/env";
import { userFunction } from "~/server/boundary/server-function";

/**
 * A short-lived access token for the browser's Realtime connection. Session cookies are httpOnly,
 * so this is the only way page JavaScript gets a token; it never gets the refresh token. It is the
 * access token of this request's verified session: the middleware already refreshed it when it was
 * near expiry, so the token handed out has most of its lifetime left.
 */
export const getRealtimeAccess = userFunction("getRealtimeAccess", async ({ claims }): Promise<RealtimeAccess> => {
  const event = getRequestEvent();
  if (!event) throw new Error("getRealtimeAccess outside a request");
  const env = serverEnv();
  const session = await readStoredSession(event.locals.auth.cookies, sessionCookieName(env.VITE_SUPABASE_URL));
  if (!session) throw new Error("verified claims without a session cookie");
  return {
    url: env.VITE_SUPABASE_URL,
    apikey: env.VITE_SUPABASE_PUBLISHABLE_KEY,
    accessToken: session.access_token,
    expiresAt: claims.exp,
    userId: claims.sub,
    sessionId: claims.session_id ?? null,
  };
});
