import { Title } from "~/components/page-title";
import { useSubmission } from "@solidjs/router";
import { requestPasswordReset } from "~/features/auth/auth.api";
import { FormError, Notice } from "~/features/auth/form-status";

export default function ForgotPasswordPage() {
  const submission = useSubmission(requestPasswordReset);
  return (
    <>
      <Title>Reset your password</Title>
      <h1>Reset your password</h1>
      <form action={requestPasswordReset} method="post" class="stack">
        <label>
          Email
          <input name="email" type="email" autocomplete="email" required />
        </label>
        <button type="submit" disabled={submission.pending}>
          {submission.pending ? "Sending…" : "Send reset link"}
        </button>
        <Notice when={submission.result}>If that address has an account, a reset link is on its way.</Notice>
        <FormError error={submission.error} />
      </form>
    </>
  );
}
