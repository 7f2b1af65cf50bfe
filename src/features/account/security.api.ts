import { action, query } from "@solidjs/router";

// Server code is imported inside each "use server" body (see auth.api.ts).

export const getSecurity = query(async () => {
  "use server";
  return (await import("~/server/account/security")).getSecurity();
}, "getSecurity");

/** Starts an enrolment: the secret and QR code are rendered into the page, nowhere else. */
export const startEnrolment = query(async () => {
  "use server";
  return (await import("~/server/account/security")).startEnrolment();
}, "startEnrolment");

export const confirmFactor = action(async (form: FormData) => {
  "use server";
  return (await import("~/server/account/security")).confirmFactor(form);
}, "confirmFactor");

export const removeFactor = action(async (form: FormData) => {
  "use server";
  return (await import("~/server/account/security")).removeFactor(form);
}, "removeFactor");
