/** Pages that need a signed-in user. Their loaders check again: this is the first of two guards. */
const PROTECTED_PREFIXES = ["/protected", "/account", "/messages", "/moderation"];

export function isProtectedPath(pathname: string): boolean {
  return PROTECTED_PREFIXES.some((prefix) => pathname === prefix || pathname.startsWith(`${prefix}/`));
}

export function loginRedirectPath(url: URL): string {
  return `/login?next=${encodeURIComponent(`${url.pathname}${url.search}`)}`;
}
