import { redirect } from "@solidjs/router";
import { getRequestEvent } from "solid-js/web";
import { safeNextPath } from "~/lib/safe-redirect";
import type { VerifiedClaims } from "~/lib/domain/claims";
import { type AppRole, hasRole } from "~/lib/domain/roles";
import { forbidden } from "~/server/http-errors";
import { sameOriginReferer } from "~/server/security/same-origin";
import { serverEnv } from "~/server/env";
import { ENROL_FOR_MODERATION_PATH, isServerFunctionPath, loginRedirectPath, secondFactorRedirectPath } from "./protected-paths";

function requestAuth() {
  const event = getRequestEvent();
  if (!event?.locals.auth) throw new Error("auth guard used outside a request that passed src/middleware.ts");
  return { event, auth: event.locals.auth };
}

/**
 * The verified claims of the signed-in user; null when signed out and while the second factor is
 * pending: until the code, nothing may show them as signed in.
 */
export function getClaims(): VerifiedClaims | null {
  const { auth } = requestAuth();
  return auth.secondFactorPending ? null : auth.claims;
}

// Server functions are called from a page; send the user back to that page, not to /_server.
function returnUrl(event: ReturnType<typeof requestAuth>["event"]): URL {
  const requestUrl = new URL(event.request.url);
  return sameOriginReferer(event.request, requestUrl) ?? requestUrl;
}

/**
 * A page that leads on to its own `next` (a sign-in form, the code page): a call from it that is
 * sent to the code page carries that page as Referer, and the code page must lead on to the same
 * `next`, not back to the form, nor to a code page inside the code page.
 */
function afterSignIn(url: URL): URL {
  if (url.pathname !== "/login" && url.pathname !== "/signup" && url.pathname !== "/two-factor") return url;
  return new URL(safeNextPath(url.searchParams.get("next")), url);
}

/**
 * The signed-in user's claims, even while the second factor is still pending: for the code page
 * and sign-out only. Otherwise a redirect to /login.
 */
export function requireSignedIn(): VerifiedClaims {
  const { event, auth } = requestAuth();
  if (auth.claims) return auth.claims;
  // A server function call says 401 (its session ended, e.g. signed out on all devices). The
  // router follows the Location whatever the status, and a no-JS form post still gets a 302.
  const status = isServerFunctionPath(new URL(event.request.url).pathname) ? 401 : 302;
  throw redirect(loginRedirectPath(returnUrl(event)), status);
}

/**
 * The signed-in user's claims; otherwise a redirect to /login that comes back here afterwards,
 * or to the code page when the session still needs its second factor.
 */
export function requireUser(): VerifiedClaims {
  const claims = requireSignedIn();
  const { event, auth } = requestAuth();
  if (auth.secondFactorPending) throw redirect(secondFactorRedirectPath(afterSignIn(returnUrl(event))));
  return claims;
}

/**
 * Whether moderating must wait for a factor to be enrolled: MODERATORS_REQUIRE_FACTOR is on and
 * the session is not aal2 (which it can only be with a verified factor). A session that has a
 * factor but is still aal1 never gets this far: requireUser() sends it to the code page.
 */
export function moderatorNeedsFactor(claims: VerifiedClaims): boolean {
  return serverEnv().MODERATORS_REQUIRE_FACTOR && claims.aal !== "aal2";
}

/**
 * Signed-in users without the role get a 403, not a login prompt: signing in again won't help.
 * A moderator who must enrol a factor first is sent to do so.
 */
export function requireRole(role: AppRole): VerifiedClaims {
  const claims = requireUser();
  if (!hasRole(claims, role)) {
    throw forbidden();
  }
  if (role === "moderator" && moderatorNeedsFactor(claims)) throw redirect(ENROL_FOR_MODERATION_PATH);
  return claims;
}
