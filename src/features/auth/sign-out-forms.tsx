import { useSubmission } from "@solidjs/router";
import { signOut } from "./auth.api";
import { SubmissionError } from "~/components/form-status";

/** Sign-out is a POST (a GET link could be triggered by any page that embeds an image). */
export function SignOutForms() {
  const submission = useSubmission(signOut);
  return (
    <div class="sign-out">
      <form action={signOut} method="post">
        <input type="hidden" name="scope" value="local" />
        <button type="submit" class="button" disabled={submission.pending}>
          Sign out on this device
        </button>
      </form>
      <form action={signOut} method="post">
        <input type="hidden" name="scope" value="global" />
        <button type="submit" class="button button--danger" disabled={submission.pending}>
          Sign out on all devices
        </button>
      </form>
      <SubmissionError error={submission.error} />
    </div>
  );
}
