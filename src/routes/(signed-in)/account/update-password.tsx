import { Title } from "~/components/page-title";
import { createAsync, type RouteDefinition, useSubmission } from "@solidjs/router";
import { FormLevelError, TextField } from "~/components/form-field";
import { getProtectedPage, updatePassword } from "~/features/auth/auth.api";
import { PASSWORD_MIN_LENGTH } from "~/lib/domain/password";

export const route = { preload: () => getProtectedPage() } satisfies RouteDefinition;

export default function UpdatePasswordPage() {
  const page = createAsync(() => getProtectedPage());
  const submission = useSubmission(updatePassword);
  return (
    <div class="page-narrow">
      <Title>Choose a new password</Title>
      <h1>Choose a new password</h1>
      <p>Signed in as {page()?.email}.</p>
      <form action={updatePassword} method="post" class="form card">
        <TextField
          id="new-password"
          name="password"
          label="New password"
          hint={`At least ${PASSWORD_MIN_LENGTH} characters.`}
          type="password"
          autocomplete="new-password"
          minlength={PASSWORD_MIN_LENGTH}
          required
          error={submission.error}
        />
        <TextField
          id="confirm-password"
          name="confirm"
          label="Repeat it"
          type="password"
          autocomplete="new-password"
          minlength={PASSWORD_MIN_LENGTH}
          required
          error={submission.error}
        />
        <FormLevelError error={submission.error} fields={["password", "confirm"]} />
        <div class="form-actions">
          <button type="submit" class="button button--primary" disabled={submission.pending}>
            {submission.pending ? "Saving..." : "Save password"}
          </button>
        </div>
      </form>
    </div>
  );
}
