/**
 * Requests the session middleware must not touch: build output, public files and the favicon.
 * Refreshing a session on them would waste an auth round trip per asset and could set cookies on
 * responses that CDNs cache. Anything with a file extension in its last segment counts as a file:
 * app routes never have one.
 */
export function isStaticPath(pathname: string): boolean {
  if (pathname.startsWith("/_build/") || pathname.startsWith("/assets/")) return true;
  if (pathname === "/favicon.ico") return true;
  const lastSegment = pathname.slice(pathname.lastIndexOf("/") + 1);
  return /\.[a-z0-9]{1,8}$/i.test(lastSegment);
}
