import { Title } from "~/components/page-title";
import { CodeField } from "~/features/account/code-field";
import { createAsync, useSubmission } from "@solidjs/router";
import { Show } from "solid-js";
import { confirmFactor, startEnrolment } from "~/features/account/account.api";
import { SubmissionError } from "~/components/form-status";

// No route preload: loading this page starts an enrolment (a new secret), so only a real visit may.
export default function SetupFactorPage() {
  const enrolment = createAsync(() => startEnrolment());
  const confirming = useSubmission(confirmFactor);
  return (
    <div class="page-narrow">
      <Title>Set up an authenticator app</Title>
      <h1>Set up an authenticator app</h1>
      <Show when={enrolment()?.problem}>
        {(problem) => (
          <p class="form-error" role="alert">
            {problem()}
          </p>
        )}
      </Show>
      <Show when={enrolment()?.started}>
        {(started) => (
          <>
            <p>Scan this code with your authenticator app, or type the key below into it.</p>
            <img class="qr-code" src={started().qrCode} alt="QR code of the key below" width="200" height="200" />
            <p>
              Key: <code class="totp-secret">{started().secret}</code>
            </p>
            <form action={confirmFactor} method="post" class="form card">
              <input type="hidden" name="factor_id" value={started().factorId} />
              <CodeField id="setup-code" label="Code from the app" />
              <button type="submit" class="button button--primary" disabled={confirming.pending}>
                {confirming.pending ? "Checking..." : "Turn on two-factor sign-in"}
              </button>
              <SubmissionError error={confirming.error} />
            </form>
          </>
        )}
      </Show>
      <p>
        <a href="/account/security">Back</a>
      </p>
    </div>
  );
}
