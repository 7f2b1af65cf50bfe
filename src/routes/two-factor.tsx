import { Title } from "~/components/page-title";
import { CodeField } from "~/features/account/code-field";
import { createAsync, type RouteDefinition, useSearchParams, useSubmission } from "@solidjs/router";
import { SubmissionError } from "~/components/form-status";
import { SignOutForms } from "~/features/auth/sign-out-forms";
import { getSecondFactorPage, verifySignInCode } from "~/features/auth/auth.api";

const nextOf = (params: { next?: string | string[] }) => (typeof params.next === "string" ? params.next : "/");

export const route = {
  preload: ({ location }) => getSecondFactorPage(new URLSearchParams(location.search).get("next") ?? "/"),
} satisfies RouteDefinition;

/** After the password (or a link, or a provider): the code from the authenticator app. */
export default function SecondFactorPage() {
  const [params] = useSearchParams();
  const page = createAsync(() => getSecondFactorPage(nextOf(params)));
  const verifying = useSubmission(verifySignInCode);
  return (
    <div class="page-narrow">
      <Title>Enter your code</Title>
      <h1>Enter your code</h1>
      <p>
        {page()?.email ? `${page()?.email} has` : "This account has"} two-factor sign-in on. Enter the 6-digit code your
        authenticator app shows.
      </p>
      <form action={verifySignInCode} method="post" class="form card">
        <input type="hidden" name="next" value={nextOf(params)} />
        <CodeField id="sign-in-code" label="Code" />
        <button type="submit" class="button button--primary" disabled={verifying.pending}>
          {verifying.pending ? "Checking..." : "Continue"}
        </button>
        <SubmissionError error={verifying.error} />
      </form>
      <SignOutForms />
    </div>
  );
}
