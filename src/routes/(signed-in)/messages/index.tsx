import { Title } from "~/components/page-title";
import { A, createAsync, type RouteDefinition, useSearchParams } from "@solidjs/router";
import { createMemo, Show } from "solid-js";
import { ConnectionBadge } from "~/features/messages/connection-badge";
import { createLiveFeed } from "~/features/messages/live-feed";
import { MessageList } from "~/features/messages/message-list";
import { OnlineNow } from "~/features/messages/online-now";
import { createOutbox } from "~/features/messages/outbox";
import { OutboxStatus } from "~/features/messages/outbox-status";
import { compareNewestFirst, expandMessage, type FeedCursor, type FeedMessage } from "~/lib/domain/messages";
import { FEED_TOPIC } from "~/lib/domain/realtime-topics";
import { getFeed, preload } from "~/features/messages/messages.api";
import { SendForm } from "~/features/messages/send-form";

function parseCursor(value: string | string[] | undefined): FeedCursor | null {
  if (typeof value !== "string") return null;
  const [createdAt, id] = value.split("_");
  return createdAt && id ? { createdAt, id } : null;
}

/** Strictly older than the cursor, as the feed's keyset pages are (created_at, id). */
function olderThan(message: FeedMessage, cursor: FeedCursor): boolean {
  return compareNewestFirst(message, { ...message, createdAt: cursor.createdAt, id: cursor.id }) > 0;
}

export const route = {
  preload: ({ location }) => preload.getFeed(parseCursor(new URLSearchParams(location.search).get("before") ?? undefined)),
} satisfies RouteDefinition;

export default function MessagesPage() {
  const [params] = useSearchParams();
  const before = () => parseCursor(params.before);
  const feed = createAsync(() => getFeed(before()));
  // Memoized: the live feed keys its list by these objects, so they must stay the same ones.
  const rendered = createMemo(() => feed()?.messages.map(expandMessage));
  const live = createLiveFeed(
    rendered,
    // A page further back (the no-JavaScript way) shows no newer message arriving live.
    (message) => {
      const cursor = before();
      return message.recipientId === null && (cursor === null || olderThan(message, cursor));
    },
    () => FEED_TOPIC,
    { me: () => feed()?.me.id, presence: true },
    {
      older: () => feed()?.older,
      fetch: async (cursor) => {
        const page = await getFeed(cursor);
        return { older: page.older, messages: page.messages.map(expandMessage) };
      },
    },
  );
  const outbox = createOutbox({
    me: () => feed()?.me.id,
    to: () => undefined,
    live: () => live.state() === "live",
    has: live.has,
  });
  const older = () => {
    const cursor = live.older();
    return (
      cursor && {
        href: `/messages?before=${cursor.createdAt}_${cursor.id}`,
        load: live.loadOlder,
        loading: live.loadingOlder(),
      }
    );
  };
  return (
    <>
      <Title>Messages</Title>
      <div class="feed-header">
        <h1>Messages</h1>
        <ConnectionBadge state={live.state()} />
        <A href="/messages/direct">Direct messages</A>
      </div>
      <OnlineNow users={live.online()} />
      <OutboxStatus online={outbox.online()} state={live.state()} waiting={outbox.waiting()} />
      <MessageList
        messages={live.messages()}
        me={feed()?.me.id}
        isModerator={feed()?.me.isModerator ?? false}
        pending={before() === null ? outbox.pending() : []}
        onRetry={(id) => void outbox.retry(id)}
        online={live.online().map((user) => user.id)}
        older={older()}
      />
      <Show
        when={before() === null}
        fallback={
          <p>
            <A href="/messages">Back to the newest messages</A>
          </p>
        }
      >
        <SendForm canAnnounce={feed()?.me.isModerator} onSend={(message) => void outbox.enqueue(message)} />
      </Show>
    </>
  );
}
