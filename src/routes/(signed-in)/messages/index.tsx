import { Title } from "~/components/page-title";
import { A, createAsync, type RouteDefinition, useSearchParams } from "@solidjs/router";
import { Show } from "solid-js";
import { ConnectionBadge } from "~/features/messages/connection-badge";
import { createLiveFeed } from "~/features/messages/live-feed";
import { MessageList } from "~/features/messages/message-list";
import { OnlineNow } from "~/features/messages/online-now";
import type { FeedCursor } from "~/lib/domain/messages";
import { FEED_TOPIC } from "~/lib/domain/realtime-topics";
import { getFeed } from "~/features/messages/messages.api";
import { usePendingMessages } from "~/features/messages/pending-messages";
import { SendForm } from "~/features/messages/send-form";

function parseCursor(value: string | string[] | undefined): FeedCursor | null {
  if (typeof value !== "string") return null;
  const [createdAt, id] = value.split("_");
  return createdAt && id ? { createdAt, id } : null;
}

export const route = {
  preload: ({ location }) => getFeed(parseCursor(new URLSearchParams(location.search).get("before") ?? undefined)),
} satisfies RouteDefinition;

export default function MessagesPage() {
  const [params] = useSearchParams();
  const before = () => parseCursor(params.before);
  const feed = createAsync(() => getFeed(before()));
  const live = createLiveFeed(
    () => feed()?.messages,
    (message) =>
      message.recipientId === null && (before() === null || feed()?.messages.some((m) => m.id === message.id) === true),
    () => FEED_TOPIC,
    { me: () => feed()?.me.id, presence: true },
  );
  const pending = usePendingMessages(live.has);
  return (
    <>
      <Title>Messages</Title>
      <h1>Messages</h1>
      <ConnectionBadge state={live.state()} />
      <OnlineNow users={live.online()} />
      <p>
        <A href="/messages/direct">Direct messages</A>
      </p>
      <Show when={before() === null}>
        <SendForm canAnnounce={feed()?.me.isModerator} />
      </Show>
      <MessageList
        messages={live.messages()}
        me={feed()?.me.id}
        isModerator={feed()?.me.isModerator ?? false}
        pending={before() === null ? pending() : []}
      />
      <Show when={feed()?.older}>
        {(older) => (
          <p>
            <A href={`/messages?before=${older().createdAt}_${older().id}`}>Older messages</A>
          </p>
        )}
      </Show>
    </>
  );
}
