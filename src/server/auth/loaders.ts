import { serverQuery, userQuery } from "~/server/boundary/server-function";
import { hasRole } from "~/lib/domain/roles";
import { getClaims } from "~/server/session/guards";
import { authSettings } from "./settings";

export const getCurrentUser = serverQuery("getCurrentUser", () => {
  const claims = getClaims();
  if (!claims) return null;
  return { id: claims.sub, email: claims.email ?? "", isModerator: hasRole(claims, "moderator") };
});

export const getAuthOptions = serverQuery("getAuthOptions", () => authSettings());

export const getProtectedPage = userQuery("getProtectedPage", ({ claims }) => ({ email: claims.email ?? "" }));
