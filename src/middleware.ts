import { createMiddleware } from "@solidjs/start/middleware";
import { FORBIDDEN_MESSAGE } from "~/lib/http-status";
import { hasRole } from "~/lib/domain/roles";
import { isStaticPath } from "~/lib/static-paths";
import { moderatorNeedsFactor } from "~/server/session/guards";
import {
  ENROL_FOR_MODERATION_PATH,
  isProtectedPath,
  isServerFunctionPath,
  loginRedirectPath,
  requiredRole,
  secondFactorRedirectPath,
} from "~/server/session/protected-paths";
import { redirectWithSessionCookies } from "~/server/session/session-cookies";
import { updateSession } from "~/server/session/session";
import { writeModerationSettings } from "~/server/db/moderation-settings";
import { serverEnv } from "~/server/env";
import { applySecurityHeaders } from "~/server/security/headers";
import { isCrossSiteWrite } from "~/server/security/same-origin";
import { guardServerFunctionRequest, scrubServerFunctionResponse } from "~/server/boundary/server-function-request";

function acceptsHtml(request: Request): boolean {
  return (request.headers.get("accept") ?? "").toLowerCase().includes("text/html");
}

// Validate the environment when the server loads this module, not on some later request.
serverEnv();

export default createMiddleware({
  onRequest: async (event) => {
    // First, before anything can answer: every response from here on carries the headers.
    applySecurityHeaders(event, serverEnv().VITE_SUPABASE_URL);
    const url = new URL(event.request.url);
    // Files that exist were served before this handler; a missing one (a browser's /favicon.ico,
    // /robots.txt) would otherwise render the not-found page without the session it needs.
    if (isStaticPath(url.pathname)) {
      return new Response("Not found", { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } });
    }
    if (isCrossSiteWrite(event.request, url)) {
      return new Response("Cross-site request refused", { status: 403, headers: { "content-type": "text/plain" } });
    }
    if (isServerFunctionPath(url.pathname)) {
      const refused = await guardServerFunctionRequest(event);
      if (refused) return refused;
    }
    // In the background: a page must not wait for it, nor fail with it.
    writeModerationSettings();
    await updateSession(event);
    if (event.request.method !== "GET" || !isProtectedPath(url.pathname)) return;
    const { claims, secondFactorPending } = event.locals.auth;
    if (!claims) return redirectWithSessionCookies(event, loginRedirectPath(url), 302);
    if (secondFactorPending) return redirectWithSessionCookies(event, secondFactorRedirectPath(url), 302);
    const role = requiredRole(url.pathname);
    if (role === "moderator" && hasRole(claims, role) && moderatorNeedsFactor(claims)) {
      return redirectWithSessionCookies(event, ENROL_FOR_MODERATION_PATH, 302);
    }
    // A browser gets the 403 page in the site layout: the page renders, and its loader's own
    // requireRole() refuses before any data is read (those loaders guard /_server calls too).
    // Plain text only for a client that did not ask for HTML.
    if (role && !hasRole(claims, role) && !acceptsHtml(event.request)) {
      return new Response(`Forbidden: ${FORBIDDEN_MESSAGE}`, {
        status: 403,
        headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "private, no-store" },
      });
    }
  },
  onBeforeResponse: (event, response) => {
    if (isServerFunctionPath(new URL(event.request.url).pathname)) scrubServerFunctionResponse(response.body);
  },
});
