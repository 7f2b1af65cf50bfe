/**
 * The security headers that do not depend on the request (ADR 0043). The middleware sends them
 * with every response it sees (headers.ts); app.config.ts gives them, as a route rule, to the files
 * Nitro serves before the middleware runs. No imports: app.config.ts loads this at build time.
 */
export const FIXED_HEADERS = {
  // For browsers without CSP's frame-ancestors.
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  // The no-JS forms need the page's own URL as Referer (ADR 0020); no other site needs any.
  "referrer-policy": "same-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
  // No cross-origin window keeps a handle on the app's pages (opener tricks, XS-leaks).
  "cross-origin-opener-policy": "same-origin",
} as const;

/**
 * The policy of a static file (`/_build/assets/*`, `public/`): none is a page, and one opened as a
 * document (an SVG) may run nothing, load nothing and be framed nowhere. The middleware replaces it
 * with the page policy on every response it sends.
 */
export const STATIC_FILE_POLICY = "default-src 'none'; frame-ancestors 'none'";
