import { Title } from "~/components/page-title";
import { A, createAsync, type RouteDefinition, useSearchParams, useSubmission } from "@solidjs/router";
import { Show } from "solid-js";
import { getAccount, updateUsername } from "~/features/account/account.api";
import { FormError, Notice } from "~/features/auth/form-status";
import { SignOutForms } from "~/features/auth/sign-out-forms";
import { USERNAME_HTML_PATTERN } from "~/lib/domain/username";

export const route = { preload: () => getAccount() } satisfies RouteDefinition;

export default function AccountPage() {
  const [params] = useSearchParams();
  const account = createAsync(() => getAccount());
  const saving = useSubmission(updateUsername);
  return (
    <>
      <Title>Account</Title>
      <h1>Account</h1>
      <Notice when={params.password === "updated"}>Your password was changed.</Notice>
      <p>
        Signed in as <strong>{account()?.email}</strong>.
      </p>
      <Show when={account() && !account()?.usernameSet}>
        <p class="notice">Choose the username other people see.</p>
      </Show>
      <form action={updateUsername} method="post" class="stack">
        <label>
          Username
          <input name="username" value={account()?.username ?? ""} required pattern={USERNAME_HTML_PATTERN} />
        </label>
        <button type="submit" disabled={saving.pending}>
          {saving.pending ? "Saving…" : "Save username"}
        </button>
        <Notice when={saving.result}>Saved.</Notice>
        <FormError error={saving.error} />
      </form>
      <p>
        <A href="/account/update-password">Change your password</A> · <A href="/account/security">Two-factor sign-in</A>
      </p>
      <SignOutForms />
    </>
  );
}
