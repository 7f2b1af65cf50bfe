import { redirect } from "@solidjs/router";
import { getRequestEvent } from "solid-js/web";
import { forbidden } from "~/server/http-errors";
import type { AuthClaims } from "./access-token";
import { loginRedirectPath } from "./protected-paths";

export type Role = "moderator";

function requestAuth() {
  const event = getRequestEvent();
  if (!event?.locals.auth) throw new Error("auth guard used outside a request that passed src/middleware.ts");
  return { event, auth: event.locals.auth };
}

/** The verified claims of the signed-in user, or null. */
export function getClaims(): AuthClaims | null {
  return requestAuth().auth.claims;
}

/** The signed-in user's claims; otherwise a redirect to /login that comes back here afterwards. */
export function requireUser(): AuthClaims {
  const { event, auth } = requestAuth();
  if (auth.claims) return auth.claims;
  // Server functions are called from a page; send the user back to that page, not to /_server.
  const referer = event.request.headers.get("referer");
  const requestUrl = new URL(event.request.url);
  const back = referer && new URL(referer).origin === requestUrl.origin ? new URL(referer) : requestUrl;
  throw redirect(loginRedirectPath(back));
}

export function hasRole(claims: AuthClaims | null, role: Role): boolean {
  return claims?.app_metadata?.user_role === role;
}

/** Signed-in users without the role get a 403, not a login prompt: signing in again won't help. */
export function requireRole(role: Role): AuthClaims {
  const claims = requireUser();
  if (!hasRole(claims, role)) {
    throw forbidden();
  }
  return claims;
}
