import { withPublicErrors } from "~/server/forms";
import { getClaims, hasRole, requireUser } from "./guards";
import { authSettings } from "./settings";

export function currentUser() {
  return withPublicErrors("getCurrentUser", async () => {
    const claims = getClaims();
    if (!claims) return null;
    return { id: claims.sub, email: claims.email ?? "", isModerator: hasRole(claims, "moderator") };
  });
}

export function authOptions() {
  return withPublicErrors("getAuthOptions", () => authSettings());
}

export function protectedPage() {
  return withPublicErrors("getProtectedPage", async () => ({ email: requireUser().email ?? "" }));
}
