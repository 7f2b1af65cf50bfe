import { serverQuery } from "~/server/boundary/server-function";
import { hasRole } from "~/lib/domain/roles";
import { getClaims, requireUser } from "./guards";
import { authSettings } from "./settings";

export const currentUser = serverQuery("getCurrentUser", () => {
  const claims = getClaims();
  if (!claims) return null;
  return { id: claims.sub, email: claims.email ?? "", isModerator: hasRole(claims, "moderator") };
});

export const authOptions = serverQuery("getAuthOptions", () => authSettings());

export const protectedPage = serverQuery("getProtectedPage", () => ({ email: requireUser().email ?? "" }));
