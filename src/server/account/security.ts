import { redirect } from "@solidjs/router";
import { isAuthRetryableFetchError } from "@supabase/supabase-js";
import { getRequestEvent } from "solid-js/web";
import * as v from "valibot";
import { setHeader } from "vinxi/http";
import { hasRole } from "~/lib/domain/roles";
import { moderatorNeedsFactor } from "~/server/auth/guards";
import { afterSecondFactor, parseCodeForm, TotpCode, verifiedTotpFactors, verifyCode } from "~/server/auth/two-factor";
import { userAction, userQuery } from "~/server/boundary/server-function";
import { FormError, GENERIC_FAILURE, parseForm } from "~/server/forms";
import { serviceUnavailable } from "~/server/http-errors";
import { getSupabaseServerClient } from "~/server/supabase";

const FactorForm = v.object({ factor_id: v.pipe(v.string("Choose a factor."), v.uuid("Choose a factor.")) });
const ConfirmForm = v.object({ factor_id: FactorForm.entries.factor_id, code: TotpCode });

export const getSecurity = userQuery("getSecurity", async ({ claims }) => {
  const factors = await verifiedTotpFactors();
  return {
    factors: factors.map((factor) => ({
      id: factor.id,
      name: factor.friendly_name ?? "Authenticator app",
      createdAt: factor.created_at,
    })),
    requiredForModeration: hasRole(claims, "moderator") && moderatorNeedsFactor(claims),
  };
});

/**
 * Starts an enrolment and hands its secret to the page being rendered, never to a cookie, a
 * redirect or a header: the enrolment page is the only place it is shown (a no-JS form's result
 * would travel in SolidStart's flash cookie, so this is a loader, not an action). Unverified
 * factors left over from earlier visits are removed first, so reloading the page starts afresh.
 */
export const startEnrolment = userQuery("startEnrolment", async () => {
  const auth = getSupabaseServerClient().auth;
  const event = getRequestEvent();
  if (event) setHeader(event.nativeEvent, "cache-control", "private, no-store");
  const listed = await auth.mfa.listFactors();
  if (listed.error) {
    if (isAuthRetryableFetchError(listed.error)) throw serviceUnavailable();
    throw listed.error;
  }
  for (const factor of listed.data.all) {
    if (factor.status !== "verified") await auth.mfa.unenroll({ factorId: factor.id });
  }
  // Names are unique per user, so each enrolment gets its own.
  const added = new Date().toISOString().slice(0, 16).replace("T", " ");
  const { data, error } = await auth.mfa.enroll({ factorType: "totp", friendlyName: `Authenticator app (${added} UTC)` });
  if (error) {
    if (isAuthRetryableFetchError(error)) throw serviceUnavailable();
    console.warn(`startEnrolment: ${error.code ?? error.status ?? "error"} ${error.message}`);
    if (error.code === "too_many_enrolled_mfa_factors") throw new FormError("Remove a factor before adding another one.");
    throw new FormError(GENERIC_FAILURE);
  }
  return { factorId: data.id, qrCode: data.totp.qr_code, secret: data.totp.secret };
});

/** The first correct code verifies the factor and makes this session aal2 (new cookies). */
export const confirmFactor = userAction("confirmFactor", async ({ claims }, form) => {
  const input = parseCodeForm(ConfirmForm, form);
  await verifyCode(claims.sub, [input.factor_id], input.code);
  await afterSecondFactor();
  throw redirect("/account/security?added=1");
});

export const removeFactor = userAction("removeFactor", async (_user, form) => {
  const { factor_id: factorId } = parseForm(FactorForm, form);
  const auth = getSupabaseServerClient().auth;
  const { error } = await auth.mfa.unenroll({ factorId });
  if (error) {
    if (isAuthRetryableFetchError(error)) throw serviceUnavailable();
    if (error.code === "mfa_factor_not_found") throw new FormError("That factor is already gone.");
    console.warn(`removeFactor: ${error.code ?? error.status ?? "error"} ${error.message}`);
    throw new FormError(GENERIC_FAILURE);
  }
  // With its last factor gone the auth server set the session back to aal1: a new token says so
  // at once (moderator step-up reads it). With factors left the session stays aal2.
  if ((await verifiedTotpFactors()).length === 0) {
    await auth.refreshSession();
    await afterSecondFactor();
  }
  throw redirect("/account/security?removed=1");
});
