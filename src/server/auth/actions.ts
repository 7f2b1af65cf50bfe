import { redirect } from "@solidjs/router";
import type { AuthError } from "@supabase/supabase-js";
import { getRequestEvent } from "solid-js/web";
import { safeNextPath } from "~/lib/safe-redirect";
import { getSupabaseServerClient } from "~/server/supabase";
import {

  ForgotPasswordForm,
  FormError,
  MagicLinkForm,
  parseForm,
  SignInForm,
  SignOutForm,
  SignUpForm,
  UpdatePasswordForm,
} from "./forms";
import { requireUser } from "./guards";
import { consumeAuthAttempt, type Limit, RateLimited } from "./rate-limit";
import * as v from "valibot";

const GENERIC_FAILURE = "Something went wrong. Please try again.";

const limits = {
  signIn: { action: "sign-in", perIp: 30, perAccount: 10, windowSeconds: 300 },
  sendMail: { action: "send-mail", perIp: 20, perAccount: 5, windowSeconds: 3600 },
  signUp: { action: "sign-up", perIp: 20, perAccount: 5, windowSeconds: 3600 },
  updatePassword: { action: "update-password", perIp: 20, perAccount: 10, windowSeconds: 300 },
} satisfies Record<string, Limit>;

function requestOrigin(): string {
  const event = getRequestEvent();
  if (!event) throw new Error("auth action outside a request");
  return new URL(event.request.url).origin;
}

/** Where a mail link or OAuth redirect lands in this app, carrying a checked `next`. */
function appUrl(path: string, next: string): string {
  const url = new URL(path, requestOrigin());
  url.searchParams.set("next", safeNextPath(next));
  return url.toString();
}

/**
 * Runs an auth form: validation and rate-limit messages reach the user as they are; anything else
 * is logged with its detail and shown as a generic failure (no account enumeration, no internals).
 * Redirects are thrown and pass through. A returned Error is what SolidStart turns into the
 * submission's `error` (with JavaScript) or the flashed form state (without), hence `as never`.
 */
async function formAction<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof Response) throw error;
    if (error instanceof FormError || error instanceof RateLimited) return new Error(error.message) as never;
    console.error(`${name} failed:`, error);
    return new Error(GENERIC_FAILURE) as never;
  }
}

function signedInRedirect(next: string): never {
  throw redirect(safeNextPath(next));
}

function logAuthError(name: string, error: AuthError): void {
  console.warn(`${name}: ${error.code ?? error.status ?? "error"} ${error.message}`);
}

export function signIn(form: FormData) {
  return formAction("signIn", async () => {
    const input = parseForm(SignInForm, form);
    await consumeAuthAttempt(limits.signIn, input.email);
    const { error } = await getSupabaseServerClient().auth.signInWithPassword({
      email: input.email,
      password: input.password,
    });
    if (error) {
      logAuthError("signIn", error);
      if (error.code === "email_not_confirmed") {
        throw new FormError("Confirm your email address first: we sent you a link.");
      }
      if (error.code === "over_request_rate_limit") throw new FormError("Too many attempts. Try again later.");
      throw new FormError("Invalid email or password.");
    }
    return signedInRedirect(input.next);
  });
}

export function sendMagicLink(form: FormData) {
  return formAction("sendMagicLink", async () => {
    const input = parseForm(MagicLinkForm, form);
    await consumeAuthAttempt(limits.sendMail, input.email);
    const { error } = await getSupabaseServerClient().auth.signInWithOtp({
      email: input.email,
      options: { shouldCreateUser: false, emailRedirectTo: appUrl("/auth/callback", input.next) },
    });
    // Same answer whether or not the address has an account.
    if (error && error.code !== "otp_disabled" && error.code !== "user_not_found") logAuthError("sendMagicLink", error);
    return { sent: true as const, email: input.email };
  });
}

export function signUp(form: FormData) {
  return formAction("signUp", async () => {
    const input = parseForm(SignUpForm, form);
    await consumeAuthAttempt(limits.signUp, input.email);
    const { data, error } = await getSupabaseServerClient().auth.signUp({
      email: input.email,
      password: input.password,
      options: { emailRedirectTo: appUrl("/auth/confirm", input.next) },
    });
    if (error) {
      logAuthError("signUp", error);
      if (error.code === "weak_password") throw new FormError("Choose a stronger password.");
      if (error.code === "user_already_exists") throw new FormError("Could not sign up with that email. Try signing in.");
      throw new FormError(GENERIC_FAILURE);
    }
    if (data.session) return signedInRedirect(input.next);
    return { checkEmail: true as const, email: input.email };
  });
}

export function requestPasswordReset(form: FormData) {
  return formAction("requestPasswordReset", async () => {
    const input = parseForm(ForgotPasswordForm, form);
    await consumeAuthAttempt(limits.sendMail, input.email);
    const { error } = await getSupabaseServerClient().auth.resetPasswordForEmail(input.email, {
      redirectTo: appUrl("/auth/confirm", "/account/update-password"),
    });
    if (error) logAuthError("requestPasswordReset", error);
    return { sent: true as const, email: input.email };
  });
}

export function updatePassword(form: FormData) {
  return formAction("updatePassword", async () => {
    const claims = requireUser();
    const input = parseForm(UpdatePasswordForm, form);
    await consumeAuthAttempt(limits.updatePassword, claims.sub);
    const { error } = await getSupabaseServerClient().auth.updateUser({ password: input.password });
    if (error) {
      logAuthError("updatePassword", error);
      if (error.code === "same_password") throw new FormError("Choose a password you have not used here.");
      if (error.code === "weak_password") throw new FormError("Choose a stronger password.");
      throw new FormError(GENERIC_FAILURE);
    }
    throw redirect("/account?password=updated");
  });
}

export function signOut(form: FormData) {
  return formAction("signOut", async () => {
    const { scope } = parseForm(SignOutForm, form);
    const { error } = await getSupabaseServerClient().auth.signOut({ scope });
    if (error) logAuthError("signOut", error);
    throw redirect("/login?signed_out=1");
  });
}

export function signInWithLocalProvider(form: FormData) {
  return formAction("signInWithLocalProvider", async () => {
    const next = v.parse(v.optional(v.string(), "/"), form.get("next") ?? undefined);
    const { data, error } = await getSupabaseServerClient().auth.signInWithOAuth({
      provider: "local" as never,
      options: { redirectTo: appUrl("/auth/callback", next), skipBrowserRedirect: true },
    });
    if (error || !data.url) {
      if (error) logAuthError("signInWithLocalProvider", error);
      throw new FormError(GENERIC_FAILURE);
    }
    throw redirect(data.url);
  });
}

