const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Cross-site request forgery guard for actions and server functions. SameSite=Lax already keeps
 * the session cookie off cross-site POSTs in current browsers; this also covers older browsers,
 * same-site-but-cross-origin pages and form posts from other ports of localhost. A browser always
 * sends `Origin` on a non-GET fetch or form post; when it is absent (curl, server-to-server) no
 * ambient browser cookie is at stake, unless Sec-Fetch-Site says the browser saw it as cross-site.
 */
export function isCrossSiteWrite(request: Request, requestUrl: URL): boolean {
  if (SAFE_METHODS.has(request.method)) return false;
  const origin = request.headers.get("origin");
  if (origin === null) return request.headers.get("sec-fetch-site") === "cross-site";
  if (origin === "null") return true;
  try {
    return new URL(origin).origin !== requestUrl.origin;
  } catch {
    return true;
  }
}

/** The Referer when it is a page of this origin (a client may send anything there, or nothing). */
export function sameOriginReferer(request: Request, requestUrl: URL): URL | null {
  const referer = request.headers.get("referer");
  if (!referer || !URL.canParse(referer)) return null;
  const url = new URL(referer);
  return url.origin === requestUrl.origin ? url : null;
}
