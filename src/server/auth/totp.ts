/*
 * Checking a TOTP code, for both forms that take one (the sign-in code page and enrolment). Not an
 * RPC module (ADR 0049): those export only their server functions, so the shared parts live here.
 */
import { type Factor, isAuthRetryableFetchError } from "@supabase/supabase-js";
import { getRequestEvent } from "solid-js/web";
import * as v from "valibot";
import { setResponseStatus } from "vinxi/http";
import { FormError, parseForm } from "~/server/forms";
import { serviceUnavailable } from "~/server/http-errors";
import { getSupabaseServerClient } from "~/server/session/supabase";
import { consumeAttempt, RateLimited, refundAttempt } from "~/server/db/rate-limit";
import { adoptSessionFromCookies } from "~/server/session/session";

/**
 * Wrong codes per user, whichever form they come from (code page, enrolment): the limit is in
 * Postgres, so it holds across app instances. GoTrue's own limit counts per IP, and all of an app
 * instance's users share its IP. Right codes do not count. The MFA verification attempt hook
 * (ADR 0042) keeps the same limit at the Auth API, for codes that never pass this form.
 */
const WRONG_CODES = { action: "second-factor-code", perAccount: 5, windowSeconds: 300 };

export const WRONG_CODE_MESSAGE = "That code is not right. Enter the current 6-digit code from your authenticator app.";
/** The hook rejected the code, and GoTrue has ended every session of the user. */
export const CODES_REJECTED_MESSAGE = "Too many wrong codes. You have been signed out; sign in again in a few minutes.";

/** The code as people type it (spaces in the middle of it, as apps show it). */
export const TotpCode = v.pipe(
  v.string("Enter the 6-digit code from your authenticator app."),
  v.transform((value) => value.replace(/\s+/g, "")),
  v.regex(/^\d{6}$/, "Enter the 6-digit code from your authenticator app."),
);

function refuse(status: 422 | 429, error: FormError): never {
  const event = getRequestEvent();
  if (event) setResponseStatus(event.nativeEvent, status);
  throw error;
}

/** parseForm() whose refusal is a 422 (the message says what to type). */
export function parseCodeForm<TSchema extends v.GenericSchema>(schema: TSchema, form: FormData): v.InferOutput<TSchema> {
  try {
    return parseForm(schema, form);
  } catch (error) {
    if (error instanceof FormError) refuse(422, error);
    throw error;
  }
}

/** The user's verified TOTP factors, as the auth server lists them (GET /user). */
export async function verifiedTotpFactors(): Promise<Factor[]> {
  const { data, error } = await getSupabaseServerClient().auth.mfa.listFactors();
  if (error) {
    if (isAuthRetryableFetchError(error)) throw serviceUnavailable();
    throw error;
  }
  return data.totp;
}

/** Challenges and verifies `code` against each of `factorIds` until one accepts it. */
async function checkCode(factorIds: string[], code: string): Promise<"accepted" | "wrong"> {
  const auth = getSupabaseServerClient().auth;
  for (const factorId of factorIds) {
    const { error } = await auth.mfa.challengeAndVerify({ factorId, code });
    if (!error) return "accepted";
    if (isAuthRetryableFetchError(error)) throw serviceUnavailable();
    if (error.code === "mfa_factor_not_found" || error.code === "mfa_verification_failed") continue;
    if (error.code === "mfa_verification_rejected") refuse(429, new FormError(CODES_REJECTED_MESSAGE));
    console.warn(`verifyCode: ${error.code ?? error.status ?? "error"} ${error.message}`);
    throw new FormError("Could not check that code. Please try again.");
  }
  return "wrong";
}

/**
 * Checks `code` within the user's limit of wrong codes. On success the request's client has
 * stored the new aal2 session in the cookies.
 */
export async function verifyCode(userId: string, factorIds: string[], code: string): Promise<void> {
  try {
    await consumeAttempt(WRONG_CODES, userId);
  } catch (error) {
    if (error instanceof RateLimited) refuse(429, error);
    throw error;
  }
  let outcome: "accepted" | "wrong" | undefined;
  try {
    outcome = await checkCode(factorIds, code);
  } finally {
    // Only a code found wrong keeps its attempt; a right one, or one never checked, gives it back.
    if (outcome !== "wrong") await refundAttempt(WRONG_CODES, userId);
  }
  if (outcome === "wrong") refuse(422, new FormError(WRONG_CODE_MESSAGE));
}

/** Claims and cookies of the same request follow the new session (see adoptSessionFromCookies). */
export async function afterSecondFactor(): Promise<void> {
  const event = getRequestEvent();
  if (event) await adoptSessionFromCookies(event.locals.auth);
}
