import { jwtVerify, SignJWT } from "jose";
import * as v from "valibot";
import type { AuthContext } from "./context.ts";
import { AuthApiError, badRequest } from "./errors.ts";
import { createFlowState, readPkceParams } from "./flow-state.ts";
import { type AuthRequest, html, type Reply, readBodyAs, redirect } from "./http.ts";
import { redirectTarget } from "./redirects.ts";
import { issueSession } from "./sessions.ts";
import { asJson, createUser, findUserByEmail, syncProviders } from "./users.ts";
import { normaliseEmail, optionalString } from "./validation.ts";
import { sessionFragment } from "./email-routes.ts";

/**
 * A stand-in OAuth provider named `local`: /authorize sends the browser to a page on this server
 * where the developer picks or types an identity, and the answer comes back like a provider
 * callback would. Nothing leaves the machine.
 */
export const LOCAL_PROVIDER = "local";

/** Where the identity page lives, below `/auth/v1`. */
export const LOCAL_PROVIDER_PATH = "/local-provider";
const STATE_TTL = "10m";

interface OAuthState {
  redirect_to: string;
  flow_state_id: string | null;
}

async function signState(context: AuthContext, state: OAuthState): Promise<string> {
  return new SignJWT({ ...state })
    .setProtectedHeader({ alg: "ES256", kid: context.keys.kid, typ: "oauth-state" })
    .setIssuedAt()
    .setExpirationTime(STATE_TTL)
    .sign(context.keys.privateKey);
}

async function readState(context: AuthContext, state: string): Promise<OAuthState> {
  try {
    const { payload, protectedHeader } = await jwtVerify(state, context.keys.publicKey, { algorithms: ["ES256"] });
    if (protectedHeader.typ !== "oauth-state") throw new Error("not a state token");
    return payload as unknown as OAuthState;
  } catch {
    throw badRequest("bad_oauth_state", "OAuth state parameter is invalid or has expired");
  }
}

/** `GET /authorize?provider=local`: remembers the PKCE challenge, then shows the identity page. */
export async function authorize(request: AuthRequest, context: AuthContext): Promise<Reply> {
  const query = request.url.searchParams;
  const provider = query.get("provider");
  if (!provider) throw badRequest("validation_failed", "Unsupported provider: provider is required");
  if (provider !== LOCAL_PROVIDER) {
    throw badRequest("validation_failed", `Unsupported provider: provider ${provider} is not enabled`);
  }
  const pkce = readPkceParams(query.get("code_challenge") ?? undefined, query.get("code_challenge_method") ?? undefined);
  const redirectTo = redirectTarget(context.config, request);
  const flow = pkce
    ? await createFlowState(context.sql, { pkce, providerType: LOCAL_PROVIDER, method: "oauth", userId: null })
    : undefined;
  const state = await signState(context, { redirect_to: redirectTo, flow_state_id: flow?.id ?? null });
  return redirect(`${context.issuer}${LOCAL_PROVIDER_PATH}?state=${encodeURIComponent(state)}`, 302);
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** The provider's sign-in page: existing users as one-click buttons, or any address typed in. */
export async function providerPage(request: AuthRequest, context: AuthContext): Promise<Reply> {
  const state = request.url.searchParams.get("state") ?? "";
  await readState(context, state);
  const users = await context.sql<{ email: string; name: string | null }[]>`
    select email, raw_user_meta_data ->> 'full_name' as name from auth.users
    where email is not null and email <> '' and deleted_at is null order by email limit 50`;
  const action = `${context.issuer}${LOCAL_PROVIDER_PATH}`;
  const hidden = `<input type="hidden" name="state" value="${escapeHtml(state)}">`;
  const buttons = users
    .map(
      (user) => `<form method="post" action="${action}">${hidden}
<input type="hidden" name="email" value="${escapeHtml(user.email)}">
<button type="submit">${escapeHtml(user.email)}${user.name ? ` (${escapeHtml(user.name)})` : ""}</button></form>`,
    )
    .join("\n");
  return html(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Local test identity provider</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}
form{margin:.5rem 0}button{padding:.4rem .8rem}input[type=email],input[type=text]{padding:.4rem;width:100%;margin:.25rem 0}</style>
</head><body>
<h1>Local test identity provider</h1>
<p>This page stands in for an OAuth provider on the embedded backend. Choose who you are.</p>
<h2>Existing users</h2>
${buttons || "<p>No users yet.</p>"}
<h2>Another identity</h2>
<form method="post" action="${action}">${hidden}
<label>Email <input type="email" name="email" required></label>
<label>Name <input type="text" name="name"></label>
<button type="submit">Continue</button></form>
</body></html>`);
}

const CallbackBody = v.object({ state: v.string(), email: v.string(), name: optionalString });

/** The "provider callback": links or creates the user, then redirects back with `?code=` or a session fragment. */
export async function providerCallback(request: AuthRequest, context: AuthContext): Promise<Reply> {
  const body = await readBodyAs(request, CallbackBody);
  const state = await readState(context, body.state);
  const email = normaliseEmail(body.email);
  const identityData = {
    sub: email,
    email,
    email_verified: true,
    phone_verified: false,
    ...(body.name ? { name: body.name, full_name: body.name } : {}),
  };
  try {
    const location = await context.sql.begin(async (tx) => {
      let user = await findUserByEmail(tx, email);
      if (!user) {
        const { auth } = context.config;
        if (!auth.enable_signup) throw new AuthApiError(422, "signup_disabled", "Signups not allowed for this instance");
        user = await createUser(tx, {
          email,
          confirmed: true,
          provider: LOCAL_PROVIDER,
          providerId: email,
          identityData,
          userMetadata: identityData,
        });
      } else {
        // A provider-verified address links to the existing account, as GoTrue's automatic linking does.
        await tx`
          insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
          values (${email}, ${user.id}, ${tx.json(asJson(identityData))}, ${LOCAL_PROVIDER}, now(), now(), now())
          on conflict (provider_id, provider) do update set identity_data = excluded.identity_data, last_sign_in_at = now()`;
        await tx`update auth.users set email_confirmed_at = coalesce(email_confirmed_at, now()) where id = ${user.id}`;
      }
      await syncProviders(tx, user.id);
      const url = new URL(state.redirect_to);
      if (state.flow_state_id) {
        const [flow] = await tx<{ auth_code: string }[]>`
          update auth.flow_state set user_id = ${user.id}, auth_code_issued_at = now(), updated_at = now()
          where id = ${state.flow_state_id} returning auth_code`;
        if (!flow) throw new AuthApiError(404, "flow_state_not_found", "No associated flow state found");
        url.searchParams.set("code", flow.auth_code);
      } else {
        const session = await issueSession(tx, context, user.id, "oauth", { ip: request.ip });
        url.hash = sessionFragment(session, {});
      }
      return url.toString();
    });
    return redirect(location, 302);
  } catch (error) {
    if (!(error instanceof AuthApiError)) throw error;
    const url = new URL(state.redirect_to);
    url.searchParams.set("error", "server_error");
    url.searchParams.set("error_code", error.code);
    url.searchParams.set("error_description", error.message);
    return redirect(url.toString(), 302);
  }
}
