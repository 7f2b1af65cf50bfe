import * as v from "valibot";
import type { AuthContext } from "./context.ts";
import { badRequest, notFound, unprocessable } from "./errors.ts";
import { type AuthRequest, type Reply, readBodyAs } from "./http.ts";
import { authenticate } from "./sessions.ts";
import { optionalString } from "./validation.ts";

/*
 * Features this server does not implement answer as GoTrue does when they are switched off, so an
 * app's error handling sees the same codes here as under `supabase start` with the CLI's defaults.
 */

/** `/sso/*`: GoTrue checks SAML before anything else on these paths. */
export async function ssoDisabled(): Promise<Reply> {
  throw notFound("saml_provider_disabled", "SAML 2.0 is disabled");
}

/** `/user/identities/*`: the caller must be signed in before GoTrue says linking is off. */
export async function manualLinkingDisabled(request: AuthRequest, context: AuthContext): Promise<Reply> {
  await authenticate(context, request.headers.authorization);
  throw notFound("manual_linking_disabled", "Manual linking is disabled");
}

/** `grant_type=web3`: refused before the body is looked at. */
export async function web3Grant(): Promise<Reply> {
  throw unprocessable("web3_provider_disabled", "Web3 provider is disabled");
}

const IdTokenBody = v.object({
  id_token: optionalString,
  provider: optionalString,
  client_id: optionalString,
  issuer: optionalString,
});

/** The providers GoTrue knows by a fixed issuer, matched by name or by that issuer. */
const fixedIssuers: Record<string, string> = {
  google: "https://accounts.google.com",
  facebook: "https://www.facebook.com",
  kakao: "https://kauth.kakao.com",
  vercel_marketplace: "https://marketplace.vercel.com",
  snapchat: "https://accounts.snapchat.com/accounts/oauth2/token",
};
const appleIssuers = ["https://appleid.apple.com", "https://account.apple.com"];

/** The `iss` of an ID token read without verifying it, as GoTrue does to pick Apple's or Azure's issuer. */
function unverifiedIssuer(idToken: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(idToken.split(".")[1] ?? "", "base64url").toString("utf8"));
    return typeof payload?.iss === "string" ? payload.iss : undefined;
  } catch {
    return undefined;
  }
}

const providerDisabled = (issuer: string) =>
  badRequest("provider_disabled", `Provider (issuer ${JSON.stringify(issuer)}) is not enabled`);

/**
 * `grant_type=id_token`: no external provider is enabled here, so every provider GoTrue would
 * accept ends in its `provider_disabled`, after the same checks on the token's issuer.
 */
export async function idTokenGrant(request: AuthRequest): Promise<Reply> {
  const body = await readBodyAs(request, IdTokenBody);
  if (!body.id_token) throw badRequest("validation_failed", "id_token required");
  const provider = body.provider ?? "";
  const issuer = body.issuer ?? "";
  if (!provider && (!body.client_id || !issuer)) {
    throw badRequest("validation_failed", "provider or client_id and issuer required");
  }
  if (provider === "apple" || appleIssuers.includes(issuer)) {
    const detected = unverifiedIssuer(body.id_token);
    if (!detected) throw badRequest("validation_failed", "Unable to detect issuer in ID token for Apple provider");
    if (!appleIssuers.includes(detected)) {
      throw badRequest("validation_failed", "Detected ID token issuer is not an Apple ID token issuer");
    }
    if (issuer && issuer !== detected) throw badRequest("validation_failed", "Provided issuer does not match ID token issuer");
    throw providerDisabled(detected);
  }
  const fixed = Object.entries(fixedIssuers).find(([name, known]) => provider === name || issuer === known);
  if (fixed) throw providerDisabled(fixed[1]);
  if (provider === "azure" || issuer.startsWith("https://login.microsoftonline.com/")) {
    const detected = unverifiedIssuer(body.id_token);
    if (!detected) throw badRequest("validation_failed", "Unable to detect issuer in ID token for Azure provider");
    if (!detected.startsWith("https://login.microsoftonline.com/") && !detected.startsWith("https://sts.windows.net/")) {
      throw badRequest("validation_failed", "Detected ID token issuer is not an Azure ID token issuer");
    }
    if (issuer && issuer !== detected) throw badRequest("validation_failed", "Provided issuer does not match ID token issuer");
    throw providerDisabled(detected);
  }
  if (provider === "keycloak") throw providerDisabled("");
  if (provider.startsWith("custom:")) throw badRequest("validation_failed", "Custom OAuth providers are disabled");
  throw badRequest("validation_failed", `Custom OIDC provider ${JSON.stringify(provider)} not allowed`);
}
