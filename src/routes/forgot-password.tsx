import { Title } from "~/components/page-title";
import { useSubmission } from "@solidjs/router";
import { FormLevelError, TextField } from "~/components/form-field";
import { requestPasswordReset } from "~/features/auth/auth.api";
import { Notice } from "~/components/form-status";

export default function ForgotPasswordPage() {
  const submission = useSubmission(requestPasswordReset);
  return (
    <div class="page-narrow">
      <Title>Reset your password</Title>
      <h1>Reset your password</h1>
      <p>We email you a link that lets you choose a new password.</p>
      <form action={requestPasswordReset} method="post" class="form card">
        <TextField
          id="reset-email"
          name="email"
          label="Email"
          type="email"
          autocomplete="email"
          required
          error={submission.error}
        />
        <FormLevelError error={submission.error} fields={["email"]} />
        <Notice when={submission.result}>If that address has an account, a reset link is on its way.</Notice>
        <div class="form-actions">
          <button type="submit" class="button button--primary" disabled={submission.pending}>
            {submission.pending ? "Sending..." : "Send reset link"}
          </button>
          <a href="/login">Back to sign in</a>
        </div>
      </form>
    </div>
  );
}
