import { Title } from "~/components/page-title";
import { useSearchParams, useSubmission } from "@solidjs/router";
import { Show } from "solid-js";
import { signUp } from "~/features/auth/auth.api";
import { FormError } from "~/features/auth/form-status";
import { PASSWORD_MIN_LENGTH } from "~/lib/domain/password";

export default function SignUpPage() {
  const [params] = useSearchParams();
  const submission = useSubmission(signUp);
  return (
    <>
      <Title>Create an account</Title>
      <h1>Create an account</h1>
      <Show
        when={submission.result?.checkEmail}
        fallback={
          <form action={signUp} method="post" class="stack">
            <input type="hidden" name="next" value={typeof params.next === "string" ? params.next : "/protected"} />
            <label>
              Email
              <input name="email" type="email" autocomplete="email" required />
            </label>
            <label>
              Password (at least {PASSWORD_MIN_LENGTH} characters)
              <input name="password" type="password" autocomplete="new-password" minlength={PASSWORD_MIN_LENGTH} required />
            </label>
            <button type="submit" disabled={submission.pending}>
              {submission.pending ? "Creating…" : "Create account"}
            </button>
            <FormError error={submission.error} />
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
    </>
  );
}
