import { redirect } from "@solidjs/router";
import type { AuthError } from "@supabase/supabase-js";
import { getRequestEvent } from "solid-js/web";
import { PASSWORD_REUSED, PASSWORD_WEAK } from "~/lib/domain/form-messages";
import { safeNextPath } from "~/lib/safe-redirect";
import { getSupabaseServerClient } from "~/server/session/supabase";
import { serverAction, userAction } from "~/server/boundary/server-function";
import { FormError, GENERIC_FAILURE, parseForm } from "~/server/forms";
import {
  ForgotPasswordForm,
  LocalProviderForm,
  MagicLinkForm,
  SignInForm,
  SignOutForm,
  SignUpForm,
  UpdatePasswordForm,
} from "./form-schemas";
import { signedInLandingPath } from "~/server/session/protected-paths";
import { adoptSessionFromCookies } from "~/server/session/session";
import { consumeAuthAttempt, type Limit } from "~/server/db/rate-limit";

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

async function afterSessionChange(): Promise<void> {
  const event = getRequestEvent();
  if (event) await adoptSessionFromCookies(event.locals.auth);
}

async function signedInRedirect(next: string): Promise<never> {
  await afterSessionChange();
  const pending = getRequestEvent()?.locals.auth.secondFactorPending ?? false;
  throw redirect(signedInLandingPath(safeNextPath(next), pending, requestOrigin()));
}

function logAuthError(name: string, error: AuthError): void {
  console.warn(`${name}: ${error.code ?? error.status ?? "error"} ${error.message}`);
}

export const signIn = serverAction("signIn", async (form) => {
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
  return await signedInRedirect(input.next);
});

export const sendMagicLink = serverAction("sendMagicLink", async (form) => {
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

export const signUp = serverAction("signUp", async (form) => {
  const input = parseForm(SignUpForm, form);
  await consumeAuthAttempt(limits.signUp, input.email);
  const { data, error } = await getSupabaseServerClient().auth.signUp({
    email: input.email,
    password: input.password,
    options: { emailRedirectTo: appUrl("/auth/confirm", input.next) },
  });
  if (error) {
    logAuthError("signUp", error);
    if (error.code === "weak_password") throw new FormError(PASSWORD_WEAK);
    if (error.code === "user_already_exists") throw new FormError("Could not sign up with that email. Try signing in.");
    throw new FormError(GENERIC_FAILURE);
  }
  if (data.session) return await signedInRedirect(input.next);
  return { checkEmail: true as const, email: input.email };
});

export const requestPasswordReset = serverAction("requestPasswordReset", async (form) => {
  const input = parseForm(ForgotPasswordForm, form);
  await consumeAuthAttempt(limits.sendMail, input.email);
  const { error } = await getSupabaseServerClient().auth.resetPasswordForEmail(input.email, {
    redirectTo: appUrl("/auth/confirm", "/account/update-password"),
  });
  if (error) logAuthError("requestPasswordReset", error);
  return { sent: true as const, email: input.email };
});

export const updatePassword = userAction("updatePassword", async ({ claims }, form) => {
  const input = parseForm(UpdatePasswordForm, form);
  await consumeAuthAttempt(limits.updatePassword, claims.sub);
  const { error } = await getSupabaseServerClient().auth.updateUser({ password: input.password });
  if (error) {
    logAuthError("updatePassword", error);
    if (error.code === "same_password") throw new FormError(PASSWORD_REUSED);
    if (error.code === "weak_password") throw new FormError(PASSWORD_WEAK);
    throw new FormError(GENERIC_FAILURE);
  }
  throw redirect("/account?password=updated");
});

export const signOut = serverAction("signOut", async (form) => {
  const { scope } = parseForm(SignOutForm, form);
  const { error } = await getSupabaseServerClient().auth.signOut({ scope });
  if (error) logAuthError("signOut", error);
  await afterSessionChange();
  throw redirect("/login?signed_out=1");
});

export const signInWithLocalProvider = serverAction("signInWithLocalProvider", async (form) => {
  const { next } = parseForm(LocalProviderForm, form);
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
