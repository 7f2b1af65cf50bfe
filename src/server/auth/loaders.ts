import { serverQuery, userQuery } from "~/server/boundary/server-function";
import { hasRole } from "~/lib/domain/roles";
import { getClaims } from "~/server/session/guards";
import { authSettings } from "./settings";

/** The signed-in user as pages may show it (from verified claims only), or null. */
export const getCurrentUser = serverQuery("getCurrentUser", () => {
  const claims = getClaims();
  if (!claims) return null;
  return { id: claims.sub, email: claims.email ?? "", isModerator: hasRole(claims, "moderator") };
});

/** Which sign-in methods the auth server offers (drives the "local test provider" button). */
export const getAuthOptions = serverQuery("getAuthOptions", () => authSettings());

/** The /protected page's data: the verified user's email, rendered on the server. */
export const getProtectedPage = userQuery("getProtectedPage", ({ claims }) => ({ email: claims.email ?? "" }));
