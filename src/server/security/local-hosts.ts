const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * This machine, as a URL's hostname spells it. Browsers treat these as secure contexts over plain
 * http, so they get neither Secure cookies nor HSTS (which would pin every local port to https).
 */
export function isLocalHost(hostname: string): boolean {
  return LOCAL_HOSTS.has(hostname);
}
