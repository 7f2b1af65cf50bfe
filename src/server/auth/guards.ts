import { redirect } from "@solidjs/router";
import { getRequestEvent } from "solid-js/web";
import type { VerifiedClaims } from "~/lib/domain/claims";
import { type AppRole, hasRole } from "~/lib/domain/roles";
import { isServerFunctionPath } from "~/server/boundary/server-function-request";
import { forbidden } from "~/server/http-errors";
import { sameOriginReferer } from "~/server/security/same-origin";
import { loginRedirectPath } from "./protected-paths";

function requestAuth() {
  const event = getRequestEvent();
  if (!event?.locals.auth) throw new Error("auth guard used outside a request that passed src/middleware.ts");
  return { event, auth: event.locals.auth };
}

/** The verified claims of the signed-in user, or null. */
export function getClaims(): VerifiedClaims | null {
  return requestAuth().auth.claims;
}

/** The signed-in user's claims; otherwise a redirect to /login that comes back here afterwards. */
export function requireUser(): VerifiedClaims {
  const { event, auth } = requestAuth();
  if (auth.claims) return auth.claims;
  // Server functions are called from a page; send the user back to that page, not to /_server.
  const requestUrl = new URL(event.request.url);
  // A server function call says 401 (its session ended, e.g. signed out on all devices). The
  // router follows the Location whatever the status, and a no-JS form post still gets a 302.
  const status = isServerFunctionPath(requestUrl.pathname) ? 401 : 302;
  throw redirect(loginRedirectPath(sameOriginReferer(event.request, requestUrl) ?? requestUrl), status);
}

/** Signed-in users without the role get a 403, not a login prompt: signing in again won't help. */
export function requireRole(role: AppRole): VerifiedClaims {
  const claims = requireUser();
  if (!hasRole(claims, role)) {
    throw forbidden();
  }
  return claims;
}
