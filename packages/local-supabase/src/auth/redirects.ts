import type { SupabaseConfig } from "../config.ts";
import type { AuthRequest } from "./http.ts";

/**
 * GoTrue's allow-list globs (gobwas/glob with '.' and '/' as separators): `*` stays within one
 * host label or path segment, `**` crosses them, `?` is one non-separator character, `{a,b}` is a
 * choice.
 */
export function globToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char === "*" && pattern[i + 1] === "*") {
      source += ".*";
      i++;
    } else if (char === "*") {
      source += "[^./]*";
    } else if (char === "?") {
      source += "[^./]";
    } else if (char === "{") {
      const end = pattern.indexOf("}", i);
      if (end === -1) {
        source += "\\{";
        continue;
      }
      const choices = pattern.slice(i + 1, end).split(",");
      source += `(?:${choices.map((choice) => choice.replace(/[.+^$()|[\]\\]/g, "\\$&")).join("|")})`;
      i = end;
    } else {
      source += char.replace(/[.+^$()|[\]\\{}]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`);
}

const localHostnames = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

function isLoopbackIp(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, "");
  return /^127(\.\d{1,3}){3}$/.test(bare) || bare === "::1";
}

export function isRedirectAllowed(config: SupabaseConfig, redirectTo: string): boolean {
  if (!redirectTo) return false;
  let site: URL;
  let target: URL;
  try {
    site = new URL(config.auth.site_url);
    target = new URL(redirectTo);
  } catch {
    return false;
  }
  // Same site (any port when the host is local, so dev servers on other ports work).
  if (
    site.hostname === target.hostname &&
    site.protocol === target.protocol &&
    (site.port === target.port || localHostnames.has(target.hostname))
  ) {
    return true;
  }
  const isHttp = target.protocol === "http:" || target.protocol === "https:";
  // WHATWG URL already turns decimal hosts (http://2130706433) into dotted IPs, which land here.
  if (/^[\d.]+$/.test(target.hostname) || target.hostname.startsWith("[")) return isLoopbackIp(target.hostname);
  if (isHttp && !/^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/.test(target.hostname)) return false;
  const withoutFragment = redirectTo.split("#")[0] as string;
  return config.auth.additional_redirect_urls.some((pattern) => globToRegExp(pattern).test(withoutFragment));
}

/** The `redirect_to` of a request (header, query, then Referer) when allowed, else the site URL. */
export function redirectTarget(config: SupabaseConfig, request: AuthRequest, fromBody?: string): string {
  const header = request.headers.redirect_to;
  const candidates = [
    typeof header === "string" ? header : undefined,
    request.url.searchParams.get("redirect_to") ?? undefined,
    fromBody,
    typeof request.headers.referer === "string" ? request.headers.referer : undefined,
  ];
  for (const candidate of candidates) {
    if (candidate && isRedirectAllowed(config, candidate)) return candidate;
  }
  return config.auth.site_url;
}
