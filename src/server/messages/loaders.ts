import { redirect } from "@solidjs/router";
import type { FeedCursor } from "~/features/messages/message-types";
import { requireRole } from "~/server/auth/guards";
import { createDrizzleSupabaseClient } from "~/server/db/app-database";
import { withPublicErrors } from "~/server/forms";
import { changesSince, conversationPartners, conversationWith, publicFeedPage, usernames } from "./feed";
import { requestDatabase } from "./request-database";

export function feedPage(before: FeedCursor | null) {
  return withPublicErrors("getFeed", async () => {
    const { read, claims } = requestDatabase();
    const page = await read((tx) => publicFeedPage(tx, before));
    return { ...page, me: { id: claims.sub, isModerator: claims.app_metadata?.user_role === "moderator" } };
  });
}

export function changes(cursor: FeedCursor | null, changedSince: string | null) {
  return withPublicErrors("getChangesSince", async () => {
    const { read } = requestDatabase();
    return read((tx) => changesSince(tx, cursor, changedSince));
  });
}

export function usernamesOf(ids: string[]) {
  return withPublicErrors("getUsernames", async () => {
    const { read } = requestDatabase();
    return read((tx) => usernames(tx, ids.slice(0, 100)));
  });
}

export function conversations() {
  return withPublicErrors("getConversations", async () => {
    const { read, claims } = requestDatabase();
    return read((tx) => conversationPartners(tx, claims.sub));
  });
}

export function conversationPage(username: string) {
  return withPublicErrors("getConversation", async () => {
    const { read, claims } = requestDatabase();
    const result = await read((tx) => conversationWith(tx, claims.sub, username));
    if (!result) throw redirect("/messages/direct?unknown=1");
    return { ...result, me: { id: claims.sub } };
  });
}

export function moderationQueue() {
  return withPublicErrors("getModerationQueue", async () => {
    const claims = requireRole("moderator");
    const page = await createDrizzleSupabaseClient(claims).read((tx) => publicFeedPage(tx, null));
    return { messages: page.messages, me: claims.sub };
  });
}
