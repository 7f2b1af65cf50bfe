import { action, query } from "@solidjs/router";

// Server code is imported inside each "use server" body so the client bundle only ever holds the
// RPC stubs: nothing under src/server/ can be pulled into browser JavaScript from here.

/** The signed-in user as pages may show it (from verified claims only), or null. */
export const getCurrentUser = query(async () => {
  "use server";
  return (await import("~/server/auth/loaders")).getCurrentUser();
}, "getCurrentUser");

/** Which sign-in methods the auth server offers (drives the "local test provider" button). */
export const getAuthOptions = query(async () => {
  "use server";
  return (await import("~/server/auth/loaders")).getAuthOptions();
}, "getAuthOptions");

/** The /protected page's data: the verified user's email, rendered on the server. */
export const getProtectedPage = query(async () => {
  "use server";
  return (await import("~/server/auth/loaders")).getProtectedPage();
}, "getProtectedPage");

export const signIn = action(async (form: FormData) => {
  "use server";
  return (await import("~/server/auth/actions")).signIn(form);
}, "signIn");

export const sendMagicLink = action(async (form: FormData) => {
  "use server";
  return (await import("~/server/auth/actions")).sendMagicLink(form);
}, "sendMagicLink");

export const signUp = action(async (form: FormData) => {
  "use server";
  return (await import("~/server/auth/actions")).signUp(form);
}, "signUp");

export const requestPasswordReset = action(async (form: FormData) => {
  "use server";
  return (await import("~/server/auth/actions")).requestPasswordReset(form);
}, "requestPasswordReset");

export const updatePassword = action(async (form: FormData) => {
  "use server";
  return (await import("~/server/auth/actions")).updatePassword(form);
}, "updatePassword");

export const signOut = action(async (form: FormData) => {
  "use server";
  return (await import("~/server/auth/actions")).signOut(form);
}, "signOut");

export const signInWithLocalProvider = action(async (form: FormData) => {
  "use server";
  return (await import("~/server/auth/actions")).signInWithLocalProvider(form);
}, "signInWithLocalProvider");
