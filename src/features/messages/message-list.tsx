import { useSubmission } from "@solidjs/router";
import { For, Show } from "solid-js";
import { FormError } from "~/features/auth/form-status";
import { type FeedMessage, MESSAGE_MAX_LENGTH } from "~/lib/domain/messages";
import { deleteMessage, editMessage } from "./messages.api";

function time(iso: string): string {
  return new Date(iso).toISOString().replace("T", " ").slice(0, 16);
}

export function MessageList(props: {
  messages: FeedMessage[];
  me: string | undefined;
  isModerator: boolean;
  pending?: { id: string; body: string }[];
}) {
  const editing = useSubmission(editMessage);
  const deleting = useSubmission(deleteMessage);
  return (
    <>
      <FormError error={editing.error ?? deleting.error} />
      <ol class="messages" data-testid="messages">
        <For each={props.pending ?? []}>
          {(message) => (
            <li class="message pending" data-message-id={message.id}>
              <p class="body">{message.body}</p>
              <p class="meta">sending…</p>
            </li>
          )}
        </For>
        <For each={props.messages}>
          {(message) => (
            <li class="message" classList={{ announcement: message.isAnnouncement }} data-message-id={message.id}>
              <Show when={message.isAnnouncement}>
                <strong class="badge">Announcement</strong>
              </Show>
              <p class="body">{message.body}</p>
              <p class="meta">
                <span class="author">{message.authorName}</span>
                <Show when={message.recipientName}> → {message.recipientName}</Show> · {time(message.createdAt)}
                <Show when={message.editedAt}> · edited</Show>
              </p>
              <Show when={message.authorId === props.me}>
                <details class="edit">
                  <summary>Edit</summary>
                  <form action={editMessage} method="post">
                    <input type="hidden" name="id" value={message.id} />
                    <textarea name="body" required maxlength={MESSAGE_MAX_LENGTH}>
                      {message.body}
                    </textarea>
                    <button type="submit">Save</button>
                  </form>
                </details>
              </Show>
              <Show when={message.authorId === props.me || (props.isModerator && !message.recipientId)}>
                <form action={deleteMessage} method="post" class="inline">
                  <input type="hidden" name="id" value={message.id} />
                  <button type="submit">Delete</button>
                </form>
              </Show>
            </li>
          )}
        </For>
      </ol>
    </>
  );
}
