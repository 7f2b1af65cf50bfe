import { useLocation, useSubmission } from "@solidjs/router";
import {
  createEffect,
  createMemo,
  createSignal,
  createUniqueId,
  For,
  lazy,
  on,
  onCleanup,
  onMount,
  Show,
  Suspense,
} from "solid-js";
import { isServer } from "solid-js/web";
import { SubmissionError } from "~/components/form-status";
import { type FeedMessage, initials } from "~/lib/domain/messages";
import { relativeTime } from "~/lib/domain/relative-time";
import { deleteMessage, editMessage } from "./messages.api";
import type { OutboxEntry } from "./outbox";
import type { PendingList as PendingListComponent } from "./pending-list";
import "./message-list.css";

const MessageEditor = lazy(() => import("./message-editor"));

export interface OlderMessages {
  /** The no-JavaScript way back: a page of its own. */
  href: string;
  load: () => Promise<void>;
  loading: boolean;
}

/**
 * A feed as a chat reads: oldest at the top, newest at the bottom, in a scroll box that starts at
 * the bottom. The box is a reversed flex column, so the browser itself keeps the bottom in view
 * when a message arrives there and keeps the reader's place when older messages come in above,
 * with or without JavaScript; ./feed-view (after mount) keeps the place of a reader who scrolled
 * up when new messages arrive below, offers the "new messages" pill and loads older pages. Times
 * are written by the server (hydration keeps its text) and from then on by ./feed-view, against
 * the reader's clock and in their time zone: the browser bundle needs no time formatting up front.
 *
 * A message carries no form of its own: every Delete button submits the list's one delete form
 * (the `form` attribute, with the message id as the button's value), and Edit is a link to the
 * same page with `?edit=<id>`, which renders that one message's editor (with JavaScript the click
 * opens it in place). Two forms per own message with the text copied into a textarea were a
 * quarter of the feed page's HTML and of its server rendering time (bench/README.md, T5).
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
  const location = useLocation();
  const deleteForm = createUniqueId();
  // A no-JS save comes back to the ?edit= page it was sent from, with its result: closed then.
  const [editingId, setEditingId] = createSignal(editing.result ? undefined : editTarget(location.search));
  createEffect(
    on(
      () => editing.result,
      (result) => result && closeEditor(true),
      { defer: true },
    ),
  );

  // The page's other parameters, parsed once per location rather than once per own message.
  const otherParams = createMemo(() => {
    const search = new URLSearchParams(location.search);
    search.delete("edit");
    return search.toString();
  });

  /** The current page with `?edit=` set (an id) or removed (undefined). */
  function editHref(id: string | undefined) {
    const query = [otherParams(), id ? `edit=${encodeURIComponent(id)}` : ""].filter(Boolean).join("&");
    return query ? `${location.pathname}?${query}` : location.pathname;
  }

  function openEditor(id: string) {
    editing.clear();
    setEditingId(id);
  }

  /**
   * A cancelled editor gives focus back to its Edit link. A saved one gives it to the feed: the
   * saved message is redrawn when its change comes back live, so its own link would not keep it.
   */
  function closeEditor(saved: boolean) {
    const closing = editingId();
    setEditingId(undefined);
    if (saved) scroller?.focus({ preventScroll: true });
    else list?.querySelector<HTMLElement>(`[data-message-id="${closing}"] .message-actions a`)?.focus();
  }
  const [unseen, setUnseen] = createSignal(0);
  const [olderFailed, setOlderFailed] = createSignal(false);
  // Only the browser ever has messages being sent, so their list is loaded after mount.
  const [pendingList, setPendingList] = createSignal<typeof PendingListComponent>();
  let scroller: HTMLDivElement | undefined;
  let list: HTMLOListElement | undefined;

  const isOnline = (id: string) => props.online?.includes(id) ?? false;

  function loadOlder() {
    const older = props.older;
    if (!older || older.loading || olderFailed()) return;
    void older.load().catch(() => setOlderFailed(true));
  }

  function scrollToBottom() {
    scroller?.scrollTo({ top: 0 });
    setUnseen(0);
  }

  onMount(() => {
    void import("./pending-list").then(({ PendingList }) => setPendingList(() => PendingList));
    let stop: (() => void) | undefined;
    let unmounted = false;
    onCleanup(() => {
      unmounted = true;
      stop?.();
    });
    void import("./feed-view").then(({ followFeed, keepTimesCurrent }) => {
      if (unmounted || !scroller || !list) return;
      const unfollow = followFeed(scroller, list, {
        loadOlder,
        newBelow: () => setUnseen((count) => count + 1),
        atBottom: () => setUnseen(0),
      });
      const untime = keepTimesCurrent(list);
      stop = () => {
        unfollow();
        untime();
      };
    });
  });

  return (
    <div class="feed">
      <SubmissionError error={editing.error ?? deleting.error} />
      <form id={deleteForm} action={deleteMessage} method="post" hidden />
      <div
        ref={scroller}
        class="feed-scroll"
        role="log"
        aria-label={props.label ?? "Messages"}
        tabindex="0"
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
                    setOlderFailed(false);
                    loadOlder();
                  }}
                  data-testid="older"
                >
                  {older().loading ? "Loading older messages..." : "Older messages"}
                </a>
                <Show when={olderFailed()}> Could not load them; try again.</Show>
              </p>
            )}
          </Show>
          <ol ref={list} class="messages" data-testid="messages">
            <For each={props.messages}>
              {(message) => {
                const own = () => message.authorId === props.me;
                // Per message, plain conditionals instead of <Show>: the same markup and reactivity
                // without a component and a memo each, 50 times per page on the server.
                return (
                  <li
                    class={`message${message.isAnnouncement ? " announcement" : ""}${own() ? " own" : ""}${message.deletedAt ? " tombstone" : ""}`}
                    data-message-id={message.id}
                  >
                    <span class="avatar" aria-hidden="true">
                      {initials(message.authorName)}
                    </span>
                    <div class="message-main">
                      <p class="meta">
                        <span class="author">{message.authorName}</span>
                        {isOnline(message.authorId) ? (
                          <span class="presence-dot" title="Online">
                            <span class="visually-hidden"> (online)</span>
                          </span>
                        ) : null}
                        {message.recipientName ? <span class="recipient">{message.recipientName}</span> : null}
                        <time
                          datetime={message.createdAt}
                          title={isServer ? `${message.createdAt.slice(0, 19).replace("T", " ")} UTC` : undefined}
                        >
                          {isServer ? relativeTime(message.createdAt, Date.now()) : ""}
                        </time>
                        {message.editedAt && !message.deletedAt ? <span class="edited">edited</span> : null}
                        {message.isAnnouncement ? <strong class="badge">Announcement</strong> : null}
                      </p>
                      {message.deletedAt ? (
                        <p class="removed">This message was removed.</p>
                      ) : (
                        <>
                          <p class="body">{message.body}</p>
                          {own() && editingId() === message.id ? (
                            <Suspense>
                              <MessageEditor
                                id={message.id}
                                body={message.body}
                                cancelHref={editHref(undefined)}
                                onCancel={() => closeEditor(false)}
                              />
                            </Suspense>
                          ) : own() ? (
                            <p class="message-actions">
                              <span class="status" data-status="sent">
                                Sent
                              </span>
                              <a
                                href={editHref(message.id)}
                                onClick={(event) => {
                                  event.preventDefault();
                                  openEditor(message.id);
                                }}
                              >
                                Edit
                              </a>
                              <button type="submit" form={deleteForm} name="id" value={message.id}>
                                Delete
                              </button>
                            </p>
                          ) : props.isModerator && !message.recipientId ? (
                            <p class="message-actions">
                              <button type="submit" form={deleteForm} name="id" value={message.id}>
                                Delete
                              </button>
                            </p>
                          ) : null}
                        </>
                      )}
                    </div>
                  </li>
                );
              }}
            </For>
            <Show when={pendingList()}>
              {(list) => {
                const PendingList = list();
                return <PendingList entries={props.pending ?? []} onRetry={props.onRetry} />;
              }}
            </Show>
          </ol>
        </div>
      </div>
      <Show when={unseen() > 0}>
        <button type="button" class="button button--primary new-messages" onClick={scrollToBottom} data-testid="new-messages">
          {unseen() === 1 ? "1 new message" : `${unseen()} new messages`}
        </button>
      </Show>
    </div>
  );
}

/** The message id in a page's `?edit=`, if there is one. */
function editTarget(search: string): string | undefined {
  return new URLSearchParams(search).get("edit") ?? undefined;
}
