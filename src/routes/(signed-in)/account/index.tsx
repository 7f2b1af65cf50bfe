import { Title } from "~/components/page-title";
import { A, createAsync, type RouteDefinition, useSearchParams, useSubmission } from "@solidjs/router";
import { Show } from "solid-js";
import { FormLevelError, TextField } from "~/components/form-field";
import { getAccount, preload, updateUsername } from "~/features/account/account.api";
import { Notice } from "~/components/form-status";
import { SignOutForms } from "~/features/auth/sign-out-forms";
import { USERNAME_HTML_PATTERN, USERNAME_RULE_MESSAGE } from "~/lib/domain/username";

export const route = {
  preload: () => preload.getAccount(),
} satisfies RouteDefinition;

export default function AccountPage() {
  const [params] = useSearchParams();
  const account = createAsync(() => getAccount());
  const saving = useSubmission(updateUsername);
  return (
    <div class="page-narrow">
      <Title>Account</Title>
      <h1>Account</h1>
      <Notice when={params.password === "updated"}>Your password was changed.</Notice>
      <p>
        Signed in as <strong>{account()?.email}</strong>.
      </p>
      <Show when={account() && !account()?.usernameSet}>
        <p class="notice">Choose the username other people see.</p>
      </Show>
      <section class="card" aria-labelledby="profile">
        <h2 id="profile">Profile</h2>
        <form action={updateUsername} method="post" class="form">
          <TextField
            id="username"
            name="username"
            label="Username"
            hint={USERNAME_RULE_MESSAGE}
            value={account()?.username ?? ""}
            autocomplete="username"
            required
            pattern={USERNAME_HTML_PATTERN}
            error={saving.error}
          />
          <FormLevelError error={saving.error} fields={["username"]} />
          <Notice when={saving.result}>Saved.</Notice>
          <div class="form-actions">
            <button type="submit" class="button button--primary" disabled={saving.pending}>
              {saving.pending ? "Saving..." : "Save username"}
            </button>
          </div>
        </form>
      </section>
      <section class="card" aria-labelledby="security">
        <h2 id="security">Security</h2>
        <p>
          <A href="/account/update-password">Change your password</A> · <A href="/account/security">Two-factor sign-in</A>
        </p>
        <SignOutForms />
      </section>
    </div>
  );
}
