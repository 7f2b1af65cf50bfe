import type { VerifiedClaims } from "./claims";

/** Roles the app knows. Stored as app_metadata.user_role, read by policies as a JWT claim. */
export const APP_ROLES = ["moderator"] as const;
export type AppRole = (typeof APP_ROLES)[number];

/** The app_metadata key that holds the role; GoTrue copies app_metadata into every access token. */
export const ROLE_CLAIM = "user_role";

export function isAppRole(value: string): value is AppRole {
  return (APP_ROLES as readonly string[]).includes(value);
}

export function hasRole(claims: Pick<VerifiedClaims, "app_metadata"> | null, role: AppRole): boolean {
  return claims?.app_metadata?.[ROLE_CLAIM] === role;
}
