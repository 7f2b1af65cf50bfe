import { useSubmission } from "@solidjs/router";
import { createEffect, createSignal, For, on, onMount, Show } from "solid-js";
import { FormError } from "~/features/auth/form-status";
import { type FeedMessage, initials, MESSAGE_MAX_LENGTH } from "~/lib/domain/messages";
import { relativeTime } from "~/lib/domain/relative-time";
import { createClock } from "./clock";
import { deleteMessage, editMessage } from "./messages.api";
import type { OutboxEntry } from "./outbox";
import "./message-list.css";

/** Closer than this to the bottom counts as "at the bottom" (a partly visible last line). */
const BOTTOM_SLACK_PX = 48;
/** Older messages are fetched once the view is this close to the top of what is loaded. */
const LOAD_OLDER_WITHIN_PX = 300;

export interface OlderMessages {
  /** The no-JavaScript way back: a page of its own. */
  href: string;
  load: () => Promise<void>;
  loading: boolean;
}

const statusText: Record<OutboxEntry["status"], string> = {
  waiting: "Waiting to send",
  sending: "Sending…",
  sent: "Sent",
  failed: "Not sent",
};

function Avatar(props: { name: string }) {
  return (
    <span class="avatar" aria-hidden="true">
      {initials(props.name)}
    </span>
  );
}

/**
 * A feed as a chat reads: oldest at the top, newest at the bottom, in a scroll box that starts at
 * the bottom. The box is a reversed flex column, so the browser itself keeps the bottom in view
 * when a message arrives there and keeps the reader's place when older messages come in above,
 * with or without JavaScript; script only keeps the place of a reader who scrolled up when new
 * messages arrive below, and offers the "new messages" pill.
 */
export function MessageList(props: {
  messages: FeedMessage[];
  me: string | undefined;
  isModerator: boolean;
  pending?: OutboxEntry[];
  onRetry?: (id: string) => void;
  online?: string[];
  older?: OlderMessages | null;
  label?: string;
}) {
  const editing = useSubmission(editMessage);
  const deleting = useSubmission(deleteMessage);
  const clock = createClock();
  const [unseen, setUnseen] = createSignal(0);
  const [olderFailed, setOlderFailed] = createSignal(false);
  let scroller: HTMLDivElement | undefined;
  let atBottom = true;
  let fromTop = 0;

  const isOnline = (id: string) => props.online?.includes(id) ?? false;

  function loadOlder() {
    const older = props.older;
    if (!older || older.loading) return;
    setOlderFailed(false);
    // Keep the reader's distance from the bottom: a box scrolled to its very top otherwise stays
    // pinned to the top as the older page comes in, and what they were reading jumps down.
    const fromBottom = scroller?.scrollTop;
    void older.load().then(
      () => {
        if (scroller && fromBottom !== undefined) scroller.scrollTop = fromBottom;
        measure();
      },
      () => setOlderFailed(true),
    );
  }

  /** Where the reader is: in a reversed box scrollTop is 0 at the bottom and negative above it. */
  function measure() {
    // Not laid out yet (a page rendered off-screen during a client-side navigation): nothing to read.
    if (!scroller?.isConnected || scroller.clientHeight === 0) return;
    fromTop = scroller.scrollHeight - scroller.clientHeight + scroller.scrollTop;
    atBottom = scroller.scrollTop > -BOTTOM_SLACK_PX;
    if (atBottom) setUnseen(0);
  }

  // Only the reader's own scrolling fetches older pages (never a layout that happens to be short).
  function onScroll() {
    measure();
    if (scroller?.isConnected && fromTop < LOAD_OLDER_WITHIN_PX && !olderFailed()) loadOlder();
  }

  function scrollToBottom() {
    scroller?.scrollTo({ top: 0 });
    setUnseen(0);
  }

  const lastId = () => props.pending?.at(-1)?.id ?? props.messages.at(-1)?.id;

  onMount(measure);

  // Runs after the list is updated in the DOM, before the browser paints it.
  createEffect(
    on(
      lastId,
      (id, previous) => {
        if (!scroller || id === previous) return measure();
        const mine = props.pending?.some((message) => message.id === id) || props.messages.at(-1)?.authorId === props.me;
        if (mine || atBottom) {
          scrollToBottom();
        } else {
          scroller.scrollTop = fromTop - (scroller.scrollHeight - scroller.clientHeight);
          setUnseen((count) => count + 1);
        }
        measure();
      },
      { defer: true },
    ),
  );
  createEffect(on(() => props.messages.length, measure, { defer: true }));

  return (
    <div class="feed">
      <FormError error={editing.error ?? deleting.error} />
      <div
        ref={scroller}
        class="feed-scroll"
        role="log"
        aria-label={props.label ?? "Messages"}
        tabindex="0"
        onScroll={onScroll}
        data-testid="feed-scroll"
      >
        <div class="feed-content">
          <Show when={props.older}>
            {(older) => (
              <p class="feed-older">
                <a
                  href={older().href}
                  onClick={(event) => {
                    event.preventDefault();
                    loadOlder();
                  }}
                  data-testid="older"
                >
                  {older().loading ? "Loading older messages…" : "Older messages"}
                </a>
                <Show when={olderFailed()}> Could not load them; try again.</Show>
              </p>
            )}
          </Show>
          <ol class="messages" data-testid="messages">
            <For each={props.messages}>
              {(message) => (
                <li
                  class={[
                    "message",
                    message.isAnnouncement && "announcement",
                    message.authorId === props.me && "own",
                    message.deletedAt && "tombstone",
                  ]
                    .filter(Boolean)
                    .join(" ")}
                  data-message-id={message.id}
                >
                  <Avatar name={message.authorName} />
                  <div class="message-main">
                    <p class="meta">
                      <span class="author">{message.authorName}</span>
                      <Show when={isOnline(message.authorId)}>
                        <span class="presence-dot" title="Online">
                          <span class="visually-hidden"> (online)</span>
                        </span>
                      </Show>
                      <Show when={message.recipientName}> → {message.recipientName}</Show>
                      <time datetime={message.createdAt} title={clock.exact(message.createdAt)}>
                        {relativeTime(message.createdAt, clock.now())}
                      </time>
                      <Show when={message.editedAt && !message.deletedAt}>
                        <span class="edited" title={message.editedAt ? clock.exact(message.editedAt) : undefined}>
                          edited
                        </span>
                      </Show>
                      <Show when={message.isAnnouncement}>
                        <strong class="badge">Announcement</strong>
                      </Show>
                    </p>
                    <Show when={!message.deletedAt} fallback={<p class="removed">This message was removed.</p>}>
                      <p class="body">{message.body}</p>
                      <Show when={message.authorId === props.me}>
                        <p class="status" data-status="sent">
                          Sent
                        </p>
                        <details class="edit">
                          <summary>Edit</summary>
                          <form action={editMessage} method="post">
                            <input type="hidden" name="id" value={message.id} />
                            <textarea name="body" required maxlength={MESSAGE_MAX_LENGTH} aria-label="Edited message">
                              {message.body}
                            </textarea>
                            <button type="submit" class="button button--primary">
                              Save
                            </button>
                          </form>
                        </details>
                      </Show>
                      <Show when={message.authorId === props.me || (props.isModerator && !message.recipientId)}>
                        <form action={deleteMessage} method="post" class="inline">
                          <input type="hidden" name="id" value={message.id} />
                          <button type="submit" class="button button--ghost">
                            Delete
                          </button>
                        </form>
                      </Show>
                    </Show>
                  </div>
                </li>
              )}
            </For>
            <For each={props.pending ?? []}>
              {(message) => (
                <li class="message pending own" data-message-id={message.id} data-status={message.status}>
                  <span class="avatar" aria-hidden="true">
                    …
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
          </ol>
        </div>
      </div>
      <Show when={unseen() > 0}>
        <button type="button" class="button button--primary new-messages" onClick={scrollToBottom} data-testid="new-messages">
          {unseen() === 1 ? "1 new message" : `${unseen()} new messages`} ↓
        </button>
      </Show>
    </div>
  );
}
