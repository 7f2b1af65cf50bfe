import { Title } from "~/components/page-title";
import { createAsync, type RouteDefinition } from "@solidjs/router";
import { ConnectionBadge } from "~/features/messages/connection-badge";
import { createLiveFeed } from "~/features/messages/live-feed";
import { MessageList } from "~/features/messages/message-list";
import { getModerationQueue, preload } from "~/features/messages/messages.api";
import { FEED_TOPIC } from "~/lib/domain/realtime-topics";

export const route = {
  preload: () => preload.getModerationQueue(),
} satisfies RouteDefinition;

export default function ModerationPage() {
  const queue = createAsync(() => getModerationQueue());
  const live = createLiveFeed(
    () => queue()?.messages,
    (message) => message.recipientId === null,
    () => FEED_TOPIC,
  );
  return (
    <>
      <Title>Moderation</Title>
      <h1>Moderation</h1>
      <p>Delete any public message; it disappears from every open feed at once.</p>
      <ConnectionBadge state={live.state()} />
      <MessageList messages={live.messages()} me={queue()?.me} isModerator={true} />
    </>
  );
}
