import { Title } from "~/components/page-title";
import { createAsync, type RouteDefinition, useSearchParams } from "@solidjs/router";
import { Notice } from "~/components/form-status";
import { getConversationList, preload } from "~/features/conversations/conversations.api";
import { ConversationList } from "~/features/conversations/conversation-list";
import { UserSearch } from "~/features/conversations/user-search";

export const route = {
  preload: () => preload.getConversationList(),
} satisfies RouteDefinition;

export default function DirectMessagesPage() {
  const [params] = useSearchParams();
  const conversations = createAsync(() => getConversationList());
  return (
    <>
      <Title>Direct messages</Title>
      <h1>Direct messages</h1>
      <Notice when={params.unknown}>No user has that name.</Notice>
      <UserSearch initial={typeof params.q === "string" ? params.q : ""} />
      <h2>Conversations</h2>
      <ConversationList conversations={conversations()} />
    </>
  );
}
