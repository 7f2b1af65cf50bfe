import type { AuthContext } from "./context.ts";
import { type AuthRequest, json, type Reply } from "./http.ts";
import { jwks } from "./keys.ts";
import { LOCAL_PROVIDER } from "./local-provider.ts";

/** What supabase-js and the app read to decide which sign-in options to show. */
export async function settings(_request: AuthRequest, context: AuthContext): Promise<Reply> {
  const { auth } = context.config;
  return json({
    external: {
      anonymous_users: auth.enable_anonymous_sign_ins,
      email: true,
      phone: false,
      [LOCAL_PROVIDER]: true,
      apple: false,
      azure: false,
      github: false,
      gitlab: false,
      google: false,
    },
    disable_signup: !auth.enable_signup,
    mailer_autoconfirm: !auth.email.enable_confirmations,
    phone_autoconfirm: false,
    sms_provider: "",
    saml_enabled: false,
  });
}

export async function health(): Promise<Reply> {
  return json({
    version: "embedded",
    name: "GoTrue",
    description: "Embedded GoTrue-compatible auth server for local development",
  });
}

export async function jwksDocument(_request: AuthRequest, context: AuthContext): Promise<Reply> {
  return json(jwks(context.keys), 200, { "cache-control": "public, max-age=600" });
}
