import { describe, expect, it } from "vitest";
import { isStaticPath } from "~/lib/static-paths";

describe("isStaticPath", () => {
  it.each([
    "/_build/assets/client-abc.js",
    "/assets/logo.png",
    "/favicon.ico",
    "/favicon.svg",
    "/robots.txt",
    "/fonts/inter.woff2",
  ])("skips %s", (path) => {
    expect(isStaticPath(path)).toBe(true);
  });

  it.each(["/", "/login", "/messages", "/auth/callback", "/_server", "/account/update-password", "/user.name/profile"])(
    "runs the session middleware for %s",
    (path) => {
      expect(isStaticPath(path)).toBe(false);
    },
  );
});
