import { signOut, signup, token, getUser, updateUser } from "./account-routes.ts";
import {
  adminCreateUser,
  adminDeleteUser,
  adminGenerateLink,
  adminGetUser,
  adminListUsers,
  adminUpdateUser,
  invite,
} from "./admin-routes.ts";
import type { AuthContext } from "./context.ts";
import { manualLinkingDisabled, ssoDisabled } from "./disabled-routes.ts";
import { otp, recover, resend, verifyGet, verifyPost } from "./email-routes.ts";
import type { AuthRequest, Reply } from "./http.ts";
import { authorize, LOCAL_PROVIDER_PATH, providerCallback, providerPage } from "./local-provider.ts";
import { health, jwksDocument, settings } from "./meta-routes.ts";
import { reauthenticate } from "./reauthentication.ts";
import { challengeFactor, enrollFactor, unenrollFactor, verifyFactor } from "./mfa-routes.ts";

/**
 * Who may call a route. `open` routes are reached by browsers following links (Supabase's gateway
 * lets them through without an apikey too); `apikey` needs the publishable or secret key; `admin`
 * needs the secret key.
 */
export type Access = "open" | "apikey" | "admin";

export interface Route {
  method: string;
  path: string | RegExp;
  access: Access;
  handle: (request: AuthRequest, context: AuthContext) => Promise<Reply>;
}

const adminUser = /^\/admin\/users\/[^/]+$/;
const factor = /^\/factors\/[^/]+$/;
const factorChallenge = /^\/factors\/[^/]+\/challenge$/;
const factorVerify = /^\/factors\/[^/]+\/verify$/;
const identities = /^\/user\/identities(\/.*)?$/;
const sso = /^\/sso(\/.*)?$/;

export const routes: Route[] = [
  { method: "GET", path: "/health", access: "open", handle: health },
  { method: "GET", path: "/.well-known/jwks.json", access: "open", handle: jwksDocument },
  { method: "GET", path: "/settings", access: "apikey", handle: settings },
  { method: "POST", path: "/signup", access: "apikey", handle: signup },
  { method: "POST", path: "/token", access: "apikey", handle: token },
  { method: "GET", path: "/user", access: "apikey", handle: getUser },
  { method: "PUT", path: "/user", access: "apikey", handle: updateUser },
  { method: "GET", path: identities, access: "apikey", handle: manualLinkingDisabled },
  { method: "DELETE", path: identities, access: "apikey", handle: manualLinkingDisabled },
  { method: "POST", path: sso, access: "apikey", handle: ssoDisabled },
  { method: "GET", path: sso, access: "apikey", handle: ssoDisabled },
  { method: "POST", path: "/logout", access: "apikey", handle: signOut },
  { method: "POST", path: "/factors", access: "apikey", handle: enrollFactor },
  { method: "POST", path: factorChallenge, access: "apikey", handle: challengeFactor },
  { method: "POST", path: factorVerify, access: "apikey", handle: verifyFactor },
  { method: "DELETE", path: factor, access: "apikey", handle: unenrollFactor },
  { method: "POST", path: "/otp", access: "apikey", handle: otp },
  { method: "POST", path: "/magiclink", access: "apikey", handle: otp },
  { method: "POST", path: "/recover", access: "apikey", handle: recover },
  { method: "POST", path: "/resend", access: "apikey", handle: resend },
  { method: "GET", path: "/reauthenticate", access: "apikey", handle: reauthenticate },
  { method: "GET", path: "/verify", access: "open", handle: verifyGet },
  { method: "POST", path: "/verify", access: "apikey", handle: verifyPost },
  { method: "GET", path: "/authorize", access: "open", handle: authorize },
  { method: "GET", path: LOCAL_PROVIDER_PATH, access: "open", handle: providerPage },
  { method: "POST", path: LOCAL_PROVIDER_PATH, access: "open", handle: providerCallback },
  { method: "POST", path: "/invite", access: "admin", handle: invite },
  { method: "GET", path: "/admin/users", access: "admin", handle: adminListUsers },
  { method: "POST", path: "/admin/users", access: "admin", handle: adminCreateUser },
  { method: "GET", path: adminUser, access: "admin", handle: adminGetUser },
  { method: "PUT", path: adminUser, access: "admin", handle: adminUpdateUser },
  { method: "DELETE", path: adminUser, access: "admin", handle: adminDeleteUser },
  { method: "POST", path: "/admin/generate_link", access: "admin", handle: adminGenerateLink },
];

export type Match = { route: Route } | { methodNotAllowed: true } | undefined;

export function matchRoute(method: string, path: string): Match {
  const candidates = routes.filter((route) => (typeof route.path === "string" ? route.path === path : route.path.test(path)));
  if (candidates.length === 0) return undefined;
  const route = candidates.find((candidate) => candidate.method === method);
  return route ? { route } : { methodNotAllowed: true };
}
