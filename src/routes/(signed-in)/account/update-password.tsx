import { Title } from "~/components/page-title";
import { createAsync, type RouteDefinition, useSubmission } from "@solidjs/router";
import { getProtectedPage, updatePassword } from "~/features/auth/auth.api";
import { FormError } from "~/features/auth/form-status";
import { PASSWORD_MIN_LENGTH } from "~/lib/domain/password";

export const route = { preload: () => getProtectedPage() } satisfies RouteDefinition;

export default function UpdatePasswordPage() {
  const page = createAsync(() => getProtectedPage());
  const submission = useSubmission(updatePassword);
  return (
    <>
      <Title>Choose a new password</Title>
      <h1>Choose a new password</h1>
      <p>Signed in as {page()?.email}.</p>
      <form action={updatePassword} method="post" class="stack">
        <label>
          New password
          <input name="password" type="password" autocomplete="new-password" minlength={PASSWORD_MIN_LENGTH} required />
        </label>
        <label>
          Repeat it
          <input name="confirm" type="password" autocomplete="new-password" minlength={PASSWORD_MIN_LENGTH} required />
        </label>
        <button type="submit" disabled={submission.pending}>
          {submission.pending ? "Saving…" : "Save password"}
        </button>
        <FormError error={submission.error} />
      </form>
    </>
  );
}
