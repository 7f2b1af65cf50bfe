import type { APIEvent } from "@solidjs/start/server";
import type { EmailOtpType } from "@supabase/supabase-js";
import { nextFromMailLink } from "~/lib/safe-redirect";
import { signedInLandingPath } from "~/server/session/protected-paths";
import { adoptSessionFromCookies } from "~/server/session/session";
import { redirectWithSessionCookies } from "~/server/session/session-cookies";

const EMAIL_OTP_TYPES = new Set<EmailOtpType>(["signup", "magiclink", "recovery", "email_change", "invite", "email"]);

/** Login-page notices for links that cannot sign anyone in; the page maps them to friendly text. */
export type LinkProblem = "link_expired" | "link_used" | "link_invalid" | "link_other_browser";

function toLogin(event: APIEvent, problem: LinkProblem, next: string): Response {
  return redirectWithSessionCookies(event, `/login?error=${problem}&next=${encodeURIComponent(next)}`);
}

/** A link signed the user in: on to `next`, or to the code page first when they have a factor. */
async function signedIn(event: APIEvent, next: string): Promise<Response> {
  await adoptSessionFromCookies(event.locals.auth);
  return redirectWithSessionCookies(event, signedInLandingPath(next, event.locals.auth.secondFactorPending, event.request.url));
}

function problemFor(code: string | undefined): LinkProblem {
  if (code === "otp_expired" || code === "flow_state_expired") return "link_expired";
  if (code === "flow_state_not_found") return "link_used";
  if (code === "pkce_code_verifier_not_found" || code === "bad_code_verifier") return "link_other_browser";
  return "link_invalid";
}

/** `/auth/confirm?token_hash&type&next`: mail links (sign-up, magic link, recovery, email change). */
export async function confirmEmailLink(event: APIEvent): Promise<Response> {
  const url = new URL(event.request.url);
  const type = url.searchParams.get("type") as EmailOtpType | null;
  const tokenHash = url.searchParams.get("token_hash");
  // GoTrue's own /verify link redirects here with a PKCE code when a template sends it instead.
  if (!tokenHash && url.searchParams.has("code")) return exchangeAuthCode(event);
  const fallback = type === "recovery" ? "/account/update-password" : "/";
  const next = nextFromMailLink(url.searchParams.get("next"), url.origin, fallback);
  if (!tokenHash || !type || !EMAIL_OTP_TYPES.has(type)) return toLogin(event, "link_invalid", next);
  const { error } = await event.locals.auth.supabase.auth.verifyOtp({ token_hash: tokenHash, type });
  if (error) {
    console.warn(`confirm ${type}: ${error.code ?? error.status} ${error.message}`);
    return toLogin(event, problemFor(error.code), next);
  }
  return signedIn(event, type === "recovery" ? "/account/update-password" : next);
}

/** `/auth/callback?code&next`: the PKCE exchange after OAuth or a magic link's verify redirect. */
export async function exchangeAuthCode(event: APIEvent): Promise<Response> {
  const url = new URL(event.request.url);
  const next = nextFromMailLink(url.searchParams.get("next"), url.origin);
  const code = url.searchParams.get("code");
  if (!code) {
    // The auth server redirects here with ?error_code= when the link itself was refused.
    return toLogin(event, problemFor(url.searchParams.get("error_code") ?? undefined), next);
  }
  const { error } = await event.locals.auth.supabase.auth.exchangeCodeForSession(code);
  if (error) {
    console.warn(`callback: ${error.code ?? error.status} ${error.message}`);
    return toLogin(event, problemFor(error.code), next);
  }
  return signedIn(event, next);
}
