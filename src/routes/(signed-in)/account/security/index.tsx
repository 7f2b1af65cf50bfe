import { Title } from "~/components/page-title";
import { createAsync, type RouteDefinition, useSearchParams, useSubmission } from "@solidjs/router";
import { For, Show } from "solid-js";
import { getSecurity, preload, removeFactor } from "~/features/account/account.api";
import { SubmissionError, Notice } from "~/components/form-status";

export const route = {
  preload: () => preload.getSecurity(),
} satisfies RouteDefinition;

export default function SecurityPage() {
  const [params] = useSearchParams();
  const security = createAsync(() => getSecurity());
  const removing = useSubmission(removeFactor);
  return (
    <div class="page-narrow">
      <Title>Two-factor sign-in</Title>
      <h1>Two-factor sign-in</h1>
      <Notice when={params.added === "1"}>Your authenticator app is set up: sign-ins now ask for its code.</Notice>
      <Notice when={params.removed === "1"}>The factor was removed.</Notice>
      <Notice when={params.required === "moderation" || security()?.requiredForModeration}>
        Moderating needs two-factor sign-in: set up an authenticator app first.
      </Notice>
      <Show
        when={security()?.factors.length}
        fallback={<p>Two-factor sign-in is off. With it on, signing in also asks for a code from an app on your phone.</p>}
      >
        <h2>Your authenticator apps</h2>
        <ul class="factors">
          <For each={security()?.factors}>
            {(factor) => (
              <li>
                {factor.name}
                <form action={removeFactor} method="post">
                  <input type="hidden" name="factor_id" value={factor.id} />
                  <button type="submit" class="button button--danger button--small" disabled={removing.pending}>
                    Remove
                  </button>
                </form>
              </li>
            )}
          </For>
        </ul>
        <SubmissionError error={removing.error} />
      </Show>
      {/* A GET form, not a link: the router preloads links on hover, and loading that page enrols. */}
      <form action="/account/security/setup" method="get">
        <button type="submit" class="button button--primary">
          Set up an authenticator app
        </button>
      </form>
    </div>
  );
}
