import { redirect } from "@solidjs/router";
import { isAuthRetryableFetchError } from "@supabase/supabase-js";
import { getRequestEvent } from "solid-js/web";
import * as v from "valibot";
import { setHeader } from "vinxi/http";
import { UUID_PATTERN } from "~/lib/domain/ids";
import { hasRole } from "~/lib/domain/roles";
import { moderatorNeedsFactor } from "~/server/session/guards";
import { afterSecondFactor, parseCodeForm, TotpCode, verifiedTotpFactors, verifyCode } from "~/server/auth/totp";
import { userAction, userQuery } from "~/server/boundary/server-function";
import { FormError, GENERIC_FAILURE, parseForm } from "~/server/forms";
import { serviceUnavailable } from "~/server/http-errors";
import { getSupabaseServerClient } from "~/server/session/supabase";

const FactorForm = v.object({ factor_id: v.pipe(v.string("Choose a factor."), v.regex(UUID_PATTERN, "Choose a factor.")) });
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
  // Names are unique per user: the first "Authenticator app N" not taken.
  const taken = new Set(listed.data.all.filter((factor) => factor.status === "verified").map((factor) => factor.friendly_name));
  let number = 1;
  while (taken.has(`Authenticator app ${number}`)) number++;
  const { data, error } = await auth.mfa.enroll({ factorType: "totp", friendlyName: `Authenticator app ${number}` });
  if (error) {
    if (isAuthRetryableFetchError(error)) throw serviceUnavailable();
    console.warn(`startEnrolment: ${error.code ?? error.status ?? "error"} ${error.message}`);
    // Shown on the page: a loader's thrown message would make it an error page.
    if (error.code === "too_many_enrolled_mfa_factors") return { problem: "Remove a factor before adding another one." };
    return { problem: GENERIC_FAILURE };
  }
  return { started: { factorId: data.id, qrCode: svgDataUri(data.totp.qr_code), secret: data.totp.secret } };
});

/**
 * auth-js hands the QR code over as `data:image/svg+xml;utf-8,<svg…>`, the markup unencoded: a
 * `#` in it (a colour) would end the URI as a fragment. Percent-encoded, any SVG survives.
 */
function svgDataUri(qrCode: string): string {
  const markup = qrCode.replace(/^data:image\/svg\+xml;(utf-8|charset=utf-8),/, "");
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(markup)}`;
}

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
