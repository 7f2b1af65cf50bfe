import { Title } from "~/components/page-title";
import { A, createAsync, type RouteDefinition, useSearchParams } from "@solidjs/router";
import { For } from "solid-js";
import { Notice } from "~/features/auth/form-status";
import { getConversations } from "~/features/messages/messages.api";
import { USERNAME_HTML_PATTERN } from "~/lib/domain/username";

export const route = { preload: () => getConversations() } satisfies RouteDefinition;

export default function DirectMessagesPage() {
  const [params] = useSearchParams();
  const conversations = createAsync(() => getConversations());
  return (
    <>
      <Title>Direct messages</Title>
      <h1>Direct messages</h1>
      <Notice when={params.unknown}>No user has that name.</Notice>
      <form method="get" action="/messages/direct/open" class="stack">
        <label>
          Write to (username)
          <input name="username" required pattern={USERNAME_HTML_PATTERN} />
        </label>
        <button type="submit">Open conversation</button>
      </form>
      <ul data-testid="conversations">
        <For each={conversations()} fallback={<li>No conversations yet.</li>}>
          {(partner) => (
            <li>
              <A href={`/messages/direct/${partner.username}`}>{partner.username}</A>
            </li>
          )}
        </For>
      </ul>
    </>
  );
}
