import { Title } from "~/components/page-title";
import { createAsync, revalidate, type RouteDefinition, useSearchParams, useSubmission } from "@solidjs/router";
import { onMount, Show } from "solid-js";
import { getAuthOptions, getCurrentUser, sendMagicLink, signIn, signInWithLocalProvider } from "~/features/auth/auth.api";
import { FormError, Notice } from "~/features/auth/form-status";
import { linkProblemMessages } from "~/features/auth/link-problems";

export const route = { preload: () => getAuthOptions() } satisfies RouteDefinition;

export default function LoginPage() {
  const [params] = useSearchParams();
  const options = createAsync(() => getAuthOptions());
  const next = () => (typeof params.next === "string" ? params.next : "/");
  const signingIn = useSubmission(signIn);
  const sending = useSubmission(sendMagicLink);
  const oauth = useSubmission(signInWithLocalProvider);
  const problem = () => (typeof params.error === "string" ? linkProblemMessages[params.error] : undefined);
  // Reached by a client-side redirect (a server function refused a session that ended elsewhere),
  // the layout's cached user would still name the user who is gone.
  onMount(() => void revalidate(getCurrentUser.key));

  return (
    <>
      <Title>Sign in</Title>
      <h1>Sign in</h1>
      <Notice when={params.signed_out}>You are signed out.</Notice>
      <Notice when={problem()}>{problem() ?? ""}</Notice>

      <form action={signIn} method="post" class="stack">
        <input type="hidden" name="next" value={next()} />
        <label>
          Email
          <input name="email" type="email" autocomplete="email" required />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <button type="submit" disabled={signingIn.pending}>
          {signingIn.pending ? "Signing in…" : "Sign in"}
        </button>
        <FormError error={signingIn.error} />
      </form>

      <h2>Or get a sign-in link by email</h2>
      <form action={sendMagicLink} method="post" class="stack">
        <input type="hidden" name="next" value={next()} />
        <label>
          Email
          <input name="email" type="email" autocomplete="email" required />
        </label>
        <button type="submit" disabled={sending.pending}>
          {sending.pending ? "Sending…" : "Email me a link"}
        </button>
        <Notice when={sending.result}>If that address has an account, a sign-in link is on its way.</Notice>
        <FormError error={sending.error} />
      </form>

      <Show when={options()?.localProvider}>
        <form action={signInWithLocalProvider} method="post" class="stack">
          <input type="hidden" name="next" value={next()} />
          <button type="submit" disabled={oauth.pending}>
            Continue with the local test provider
          </button>
          <FormError error={oauth.error} />
        </form>
      </Show>

      <p>
        <a href="/forgot-password">Forgot your password?</a> · <a href="/signup">Create an account</a>
      </p>
    </>
  );
}
