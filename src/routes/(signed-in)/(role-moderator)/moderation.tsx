import { Title } from "~/components/page-title";
import { createAsync, type RouteDefinition } from "@solidjs/router";
import { ConnectionBadge } from "~/features/messages/connection-badge";
import { createLiveFeed } from "~/features/messages/live-feed";
import { MessageList } from "~/features/messages/message-list";
import { getModerationQueue } from "~/features/messages/messages.api";
import { FEED_TOPIC } from "~/lib/domain/realtime-topics";
import { preloadAfterImport } from "~/lib/route-preload";

export const route = {
  preload: () => preloadAfterImport(import("~/features/messages/messages.api"), (api) => api.getModerationQueue()),
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
