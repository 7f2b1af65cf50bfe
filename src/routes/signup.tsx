import { Title } from "~/components/page-title";
import { useSearchParams, useSubmission } from "@solidjs/router";
import { Show } from "solid-js";
import { FormLevelError, TextField } from "~/components/form-field";
import { signUp } from "~/features/auth/auth.api";
import { PASSWORD_MIN_LENGTH } from "~/lib/domain/password";

export default function SignUpPage() {
  const [params] = useSearchParams();
  const submission = useSubmission(signUp);
  return (
    <div class="page-narrow">
      <Title>Create an account</Title>
      <h1>Create an account</h1>
      <Show
        when={submission.result?.checkEmail}
        fallback={
          <form action={signUp} method="post" class="form card">
            <input type="hidden" name="next" value={typeof params.next === "string" ? params.next : "/protected"} />
            <TextField
              id="sign-up-email"
              name="email"
              label="Email"
              type="email"
              autocomplete="email"
              required
              error={submission.error}
            />
            <TextField
              id="sign-up-password"
              name="password"
              label={`Password (at least ${PASSWORD_MIN_LENGTH} characters)`}
              type="password"
              autocomplete="new-password"
              minlength={PASSWORD_MIN_LENGTH}
              required
              error={submission.error}
            />
            <FormLevelError error={submission.error} fields={["email", "password"]} />
            <div class="form-actions">
              <button type="submit" class="button button--primary" disabled={submission.pending}>
                {submission.pending ? "Creating..." : "Create account"}
              </button>
            </div>
          </form>
        }
      >
        <p role="status" class="notice">
          Check your email: we sent a confirmation link to {submission.result?.email}.
        </p>
      </Show>
      <p>
        Already have an account? <a href="/login">Sign in</a>
      </p>
    </div>
  );
}
