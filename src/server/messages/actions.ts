import { userAction } from "~/server/boundary/server-function";
import * as commands from "./commands";

export const sendMessage = userAction("sendMessage", ({ claims, rls }, form) => commands.insertMessage(claims, rls, form));

export const editMessage = userAction("editMessage", async ({ claims, rls }, form) => {
  await commands.updateMessageBody(claims, rls, form);
  return { edited: true as const };
});

export const deleteMessage = userAction("deleteMessage", async ({ rls }, form) => {
  await commands.tombstoneMessage(rls, form);
  return { deleted: true as const };
});
