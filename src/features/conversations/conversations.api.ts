import { query } from "@solidjs/router";

// Server code is imported inside each "use server" body, so the pages' bundles hold only RPC stubs.

/** The signed-in user's conversations with the newest message and the unread count of each. */
export const getConversationList = query(async () => {
  "use server";
  return (await import("~/server/messages/direct-messages")).getConversationList();
}, "getConversationList");

/** Usernames starting with what was typed (at least two characters), or a hint why there are none. */
export const searchUsers = query(async (text: string) => {
  "use server";
  return (await import("~/server/messages/direct-messages")).searchUsers(text);
}, "searchUsers");

/** Moves the signed-in user's read marker of the conversation with `username` to now. */
export async function markConversationRead(username: string) {
  "use server";
  return (await import("~/server/messages/direct-messages")).markConversationRead(username);
}
