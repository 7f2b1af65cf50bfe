import { redirect } from "@solidjs/router";
import { getRequestEvent } from "solid-js/web";
import * as v from "valibot";
import { safeNextPath } from "~/lib/safe-redirect";
import { serverAction, serverQuery } from "~/server/boundary/server-function";
import { forgetSecondFactorState } from "~/server/session/claims-freshness";
import { requireSignedIn } from "~/server/session/guards";
import { afterSecondFactor, parseCodeForm, TotpCode, verifiedTotpFactors, verifyCode } from "./totp";

const CodeForm = v.object({ code: TotpCode, next: v.optional(v.string(), "/") });

/**
 * The code page's data. Signed out: to /login. A session that needs no code (aal2, or a user
 * without a verified factor, e.g. removed meanwhile) goes on to `next`.
 */
export const getSecondFactorPage = serverQuery(
  "getSecondFactorPage",
  v.tuple([v.optional(v.string("expected the page to go to next."), "/")]),
  async (next) => {
    const claims = requireSignedIn();
    const event = getRequestEvent();
    if (!event?.locals.auth.secondFactorPending) throw redirect(safeNextPath(next));
    if ((await verifiedTotpFactors()).length === 0) {
      forgetSecondFactorState(claims);
      throw redirect(safeNextPath(next));
    }
    return { email: claims.email ?? "" };
  },
);

export const verifySignInCode = serverAction("verifySignInCode", async (form) => {
  const claims = requireSignedIn();
  const input = parseCodeForm(CodeForm, form);
  const next = safeNextPath(input.next);
  if (!getRequestEvent()?.locals.auth.secondFactorPending) throw redirect(next);
  const factors = await verifiedTotpFactors();
  if (factors.length === 0) {
    forgetSecondFactorState(claims);
    throw redirect(next);
  }
  await verifyCode(
    claims.sub,
    factors.map((factor) => factor.id),
    input.code,
  );
  await afterSecondFactor();
  throw redirect(next);
});
