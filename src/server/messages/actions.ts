import { serverAction } from "~/server/boundary/server-function";
import * as commands from "./commands";
import { requestDatabase } from "./request-database";

export const sendMessage = serverAction("sendMessage", (form) => {
  const { claims, rls } = requestDatabase();
  return commands.sendMessage(claims, rls, form);
});

export const editMessage = serverAction("editMessage", async (form) => {
  const { claims, rls } = requestDatabase();
  await commands.editMessage(claims, rls, form);
  return { edited: true as const };
});

export const deleteMessage = serverAction("deleteMessage", async (form) => {
  const { rls } = requestDatabase();
  await commands.deleteMessage(rls, form);
  return { deleted: true as const };
});
