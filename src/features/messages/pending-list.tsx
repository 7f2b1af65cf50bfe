import { For, Show } from "solid-js";
import type { OutboxEntry } from "./outbox";

const statusText: Record<OutboxEntry["status"], string> = {
  waiting: "Waiting to send",
  sending: "Sending...",
  sent: "Sent",
  failed: "Not sent",
};

/** The user's own messages not in the feed yet, each with where it stands; failed ones offer Retry. */
export function PendingList(props: { entries: OutboxEntry[]; onRetry?: (id: string) => void }) {
  return (
    <For each={props.entries}>
      {(message) => (
        <li class="message pending own" data-message-id={message.id} data-status={message.status}>
          <span class="avatar" aria-hidden="true">
            ...
          </span>
          <div class="message-main">
            <p class="meta">
              <span class="author">You</span>
            </p>
            <p class="body">{message.body}</p>
            <p class="status" data-status={message.status} role={message.status === "failed" ? "alert" : undefined}>
              {statusText[message.status]}
              <Show when={message.status === "failed"}>
                <Show when={message.error}>{(error) => <>: {error()}</>}</Show>{" "}
                <button type="button" class="button button--ghost" onClick={() => props.onRetry?.(message.id)}>
                  Retry
                </button>
              </Show>
            </p>
          </div>
        </li>
      )}
    </For>
  );
}
