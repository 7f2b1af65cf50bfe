import { createMiddleware } from "@solidjs/start/middleware";
import { isStaticPath } from "~/lib/static-paths";
import { isProtectedPath, loginRedirectPath } from "~/server/auth/protected-paths";
import { updateSession } from "~/server/auth/session";
import { serverEnv } from "~/server/env";
import { isCrossSiteWrite } from "~/server/security/same-origin";

// Validate the environment when the server loads this module, not on some later request.
serverEnv();

export default createMiddleware({
  onRequest: async (event) => {
    const url = new URL(event.request.url);
    if (isStaticPath(url.pathname)) return;
    if (isCrossSiteWrite(event.request, url)) {
      return new Response("Cross-site request refused", { status: 403, headers: { "content-type": "text/plain" } });
    }
    await updateSession(event);
    if (!event.locals.auth.claims && event.request.method === "GET" && isProtectedPath(url.pathname)) {
      return new Response(null, {
        status: 302,
        headers: { location: loginRedirectPath(url), "cache-control": "private, no-store" },
      });
    }
  },
});
