import { action, query } from "@solidjs/router";

// Server code is imported inside each "use server" body (see auth.api.ts).

/** The code page's data; redirects when there is nothing to enter (signed out, or no code needed). */
export const getSecondFactorPage = query(async (next: string) => {
  "use server";
  return (await import("~/server/auth/two-factor")).getSecondFactorPage(next);
}, "getSecondFactorPage");

export const verifySignInCode = action(async (form: FormData) => {
  "use server";
  return (await import("~/server/auth/two-factor")).verifySignInCode(form);
}, "verifySignInCode");
