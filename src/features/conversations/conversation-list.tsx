import { A } from "@solidjs/router";
import { createSignal, For, onCleanup, onMount, Show } from "solid-js";
import { type ConversationSummary, UNREAD_COUNT_CAP } from "~/lib/domain/conversations";
import { initials } from "~/lib/domain/messages";
import { relativeTime } from "~/lib/domain/relative-time";
import "./conversations.css";

/**
 * The relative times are rendered with the server's clock and moved on after mount; the exact
 * local time goes into the title only in the browser, whose time zone the server does not know.
 */
function useClock() {
  const [now, setNow] = createSignal(Date.now());
  const [mounted, setMounted] = createSignal(false);
  onMount(() => {
    setMounted(true);
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    onCleanup(() => clearInterval(timer));
  });
  return { now, mounted };
}

export function ConversationList(props: { conversations: ConversationSummary[] | undefined }) {
  const clock = useClock();
  return (
    <ul class="conversation-list" data-testid="conversations">
      <For each={props.conversations} fallback={<li class="conversation-list__empty">No conversations yet.</li>}>
        {(conversation) => (
          <li>
            <A
              class="conversation"
              classList={{ "conversation--unread": conversation.unread > 0 }}
              href={`/messages/direct/${conversation.partnerName}`}
              data-partner={conversation.partnerName}
              data-unread={conversation.unread}
            >
              <span class="avatar" aria-hidden="true">
                {initials(conversation.partnerName)}
              </span>
              <span class="conversation__text">
                <span class="conversation__name">{conversation.partnerName}</span>
                <span class="conversation__preview">
                  <Show when={conversation.fromMe}>You: </Show>
                  <Show when={!conversation.removed} fallback={<em>message removed</em>}>
                    {conversation.preview}
                  </Show>
                </span>
              </span>
              <span class="conversation__meta">
                <time
                  datetime={conversation.lastAt}
                  title={clock.mounted() ? new Date(conversation.lastAt).toLocaleString() : undefined}
                >
                  {relativeTime(conversation.lastAt, clock.now())}
                </time>
                <Show when={conversation.unread > 0}>
                  <span class="badge" data-testid="unread">
                    <span aria-hidden="true">
                      {conversation.unread > UNREAD_COUNT_CAP ? `${UNREAD_COUNT_CAP}+` : conversation.unread}
                    </span>
                    <span class="conversation__unread-text">
                      {conversation.unread > UNREAD_COUNT_CAP ? `more than ${UNREAD_COUNT_CAP}` : conversation.unread} unread
                    </span>
                  </span>
                </Show>
              </span>
            </A>
          </li>
        )}
      </For>
    </ul>
  );
}
