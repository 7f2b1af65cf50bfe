import { Title } from "~/components/page-title";
import { createAsync, revalidate, type RouteDefinition, useSearchParams, useSubmission } from "@solidjs/router";
import { onMount, Show } from "solid-js";
import { FormLevelError, TextField } from "~/components/form-field";
import { getAuthOptions, getCurrentUser, sendMagicLink, signIn, signInWithLocalProvider } from "~/features/auth/auth.api";
import { SubmissionError, Notice } from "~/components/form-status";
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
    <div class="page-narrow">
      <Title>Sign in</Title>
      <h1>Sign in</h1>
      <Notice when={params.signed_out}>You are signed out.</Notice>
      <Notice when={problem()}>{problem() ?? ""}</Notice>

      <section class="card" aria-labelledby="password-sign-in">
        <h2 id="password-sign-in" class="visually-hidden">
          With your password
        </h2>
        <form action={signIn} method="post" class="form">
          <input type="hidden" name="next" value={next()} />
          <TextField
            id="sign-in-email"
            name="email"
            label="Email"
            type="email"
            autocomplete="email"
            required
            error={signingIn.error}
          />
          <TextField
            id="sign-in-password"
            name="password"
            label="Password"
            type="password"
            autocomplete="current-password"
            required
            error={signingIn.error}
          />
          <FormLevelError error={signingIn.error} fields={["email", "password"]} />
          <div class="form-actions">
            <button type="submit" class="button button--primary" disabled={signingIn.pending}>
              {signingIn.pending ? "Signing in..." : "Sign in"}
            </button>
            <a href="/forgot-password">Forgot your password?</a>
          </div>
        </form>
      </section>

      <section class="card" aria-labelledby="magic-link">
        <h2 id="magic-link">Or get a sign-in link by email</h2>
        <form action={sendMagicLink} method="post" class="form">
          <input type="hidden" name="next" value={next()} />
          <TextField
            id="magic-link-email"
            name="email"
            label="Email"
            type="email"
            autocomplete="email"
            required
            error={sending.error}
          />
          <FormLevelError error={sending.error} fields={["email"]} />
          <Notice when={sending.result}>If that address has an account, a sign-in link is on its way.</Notice>
          <div class="form-actions">
            <button type="submit" class="button" disabled={sending.pending}>
              {sending.pending ? "Sending..." : "Email me a link"}
            </button>
          </div>
        </form>
      </section>

      <Show when={options()?.localProvider}>
        <form action={signInWithLocalProvider} method="post" class="form">
          <input type="hidden" name="next" value={next()} />
          <button type="submit" class="button" disabled={oauth.pending}>
            Continue with the local test provider
          </button>
          <SubmissionError error={oauth.error} />
        </form>
      </Show>

      <p class="link-row">
        <span>
          New here? <a href="/signup">Create an account</a>
        </span>
      </p>
    </div>
  );
}
