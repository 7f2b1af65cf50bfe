import { type AppRole, isAppRole } from "~/lib/domain/roles";

/*
 * Where a page's file is says who may see it: pages under src/routes/(signed-in)/ need a signed-in
 * user, and under a (role-<name>)/ folder inside it also that role. Route groups add nothing to
 * the URL. The middleware redirects or refuses before rendering; the pages' loaders (user
 * functions) check again, so this is the first of two guards. The files are listed at build time;
 * their modules are not loaded here.
 */
// Parentheses are glob syntax, so the routes are listed whole and the folder matched here.
const PAGE_FILES = Object.keys(import.meta.glob("/src/routes/**/*.{ts,tsx}")).filter((file) =>
  file.startsWith("/src/routes/(signed-in)/"),
);

interface Protection {
  /** The page's URL up to its first dynamic segment: everything below it is protected too. */
  prefix: string;
  role: AppRole | null;
}

function protectionOf(file: string): Protection {
  const segments = file
    .replace(/^\/src\/routes\//, "")
    .replace(/\.tsx?$/, "")
    .split("/");
  let role: AppRole | null = null;
  const url: string[] = [];
  for (const segment of segments) {
    const group = /^\((.*)\)$/.exec(segment)?.[1];
    if (group !== undefined) {
      const name = group.replace(/^role-/, "");
      if (group.startsWith("role-") && isAppRole(name)) role = name;
      continue;
    }
    if (segment.startsWith("[")) break;
    if (segment !== "index") url.push(segment);
  }
  return { prefix: `/${url.join("/")}`, role };
}

const PROTECTED = PAGE_FILES.map(protectionOf);

function covers(prefix: string, pathname: string): boolean {
  return pathname === prefix || pathname.startsWith(prefix === "/" ? "/" : `${prefix}/`);
}

export function isProtectedPath(pathname: string): boolean {
  return PROTECTED.some(({ prefix }) => covers(prefix, pathname));
}

/** SolidStart's endpoint for server functions: a call there is answered with data, not a page. */
export function isServerFunctionPath(pathname: string): boolean {
  return pathname === "/_server" || pathname.startsWith("/_server/");
}

export function loginRedirectPath(url: URL): string {
  return `/login?next=${encodeURIComponent(`${url.pathname}${url.search}`)}`;
}

/** The code page a session that still needs its second factor is sent to, coming back to `url`. */
export function secondFactorRedirectPath(url: URL): string {
  return `/two-factor?next=${encodeURIComponent(`${url.pathname}${url.search}`)}`;
}

/**
 * Where signing in (password, mail link, provider) leads: `next`, or first the code page when the
 * new session needs its second factor. Going there at once, not at the first protected page,
 * keeps `next` and never shows the user as signed in before the code (ADR 0034).
 */
export function signedInLandingPath(next: string, secondFactorPending: boolean, base: string | URL): string {
  return secondFactorPending ? secondFactorRedirectPath(new URL(next, base)) : next;
}

/** Where a moderator without the factor that MODERATORS_REQUIRE_FACTOR asks for is sent. */
export const ENROL_FOR_MODERATION_PATH = "/account/security?required=moderation";

/** The role a page needs beyond signing in; checked before rendering so a refusal is a real 403. */
export function requiredRole(pathname: string): AppRole | null {
  return PROTECTED.find(({ prefix, role }) => role && covers(prefix, pathname))?.role ?? null;
}
