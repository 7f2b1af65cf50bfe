import { Title } from "~/components/page-title";
import { A, createAsync, type RouteDefinition, useParams } from "@solidjs/router";
import { useReadMarker } from "~/features/conversations/read-marker";
import { ConnectionBadge } from "~/features/messages/connection-badge";
import { createLiveFeed } from "~/features/messages/live-feed";
import { MessageList } from "~/features/messages/message-list";
import { TypingNotice } from "~/features/messages/typing-notice";
import { getConversation, preload } from "~/features/messages/messages.api";
import { conversationTopic } from "~/lib/domain/realtime-topics";
import { createOutbox } from "~/features/messages/outbox";
import { OutboxStatus } from "~/features/messages/outbox-status";
import { SendForm } from "~/features/messages/send-form";

export const route = {
  preload: ({ params }) => preload.getConversation(params.username ?? ""),
} satisfies RouteDefinition;

export default function ConversationPage() {
  const params = useParams();
  const conversation = createAsync(() => getConversation(params.username ?? ""));
  const live = createLiveFeed(
    () => conversation()?.messages,
    (message) => {
      const other = conversation()?.other.id;
      return !!other && message.recipientId !== null && (message.authorId === other || message.recipientId === other);
    },
    () => {
      const current = conversation();
      return current && conversationTopic(current.me.id, current.other.id);
    },
    { me: () => conversation()?.me.id, typing: true },
  );
  const outbox = createOutbox({
    me: () => conversation()?.me.id,
    to: () => conversation()?.other.username,
    live: () => live.state() === "live",
    has: live.has,
  });
  const marked = useReadMarker(
    () => params.username ?? "",
    () => live.messages().filter((message) => message.authorId === conversation()?.other.id).length,
  );
  return (
    <>
      <Title>{`Conversation with ${params.username}`}</Title>
      <h1 data-read={marked()?.marked ? "" : undefined}>Conversation with {conversation()?.other.username}</h1>
      <p>
        <A href="/messages/direct">All conversations</A>
      </p>
      <ConnectionBadge state={live.state()} />
      <OutboxStatus online={outbox.online()} state={live.state()} waiting={outbox.waiting()} />
      <MessageList
        messages={live.messages()}
        me={conversation()?.me.id}
        isModerator={false}
        pending={outbox.pending()}
        onRetry={(id) => void outbox.retry(id)}
        label={`Conversation with ${params.username}`}
      />
      <TypingNotice name={live.typing() === conversation()?.other.id ? (conversation()?.other.username ?? null) : null} />
      <SendForm
        to={conversation()?.other.username}
        label={`Message to ${params.username}`}
        onTyping={live.notifyTyping}
        onSend={(message) => void outbox.enqueue(message)}
      />
    </>
  );
}
