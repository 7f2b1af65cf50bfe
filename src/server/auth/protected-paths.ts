import type { AppRole } from "~/lib/domain/roles";

/** Pages that need a signed-in user. Their loaders check again: this is the first of two guards. */
const PROTECTED_PREFIXES = ["/protected", "/account", "/messages", "/moderation"];

export function isProtectedPath(pathname: string): boolean {
  return PROTECTED_PREFIXES.some((prefix) => pathname === prefix || pathname.startsWith(`${prefix}/`));
}

export function loginRedirectPath(url: URL): string {
  return `/login?next=${encodeURIComponent(`${url.pathname}${url.search}`)}`;
}

/** Pages that also need a role; checked before rendering so a refusal is a real 403. */
const ROLE_PREFIXES: [string, AppRole][] = [["/moderation", "moderator"]];

export function requiredRole(pathname: string): AppRole | null {
  const entry = ROLE_PREFIXES.find(([prefix]) => pathname === prefix || pathname.startsWith(`${prefix}/`));
  return entry ? entry[1] : null;
}
