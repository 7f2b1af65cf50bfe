import { withPublicErrors } from "~/server/forms";
import * as commands from "./commands";
import { requestDatabase } from "./request-database";

export function sendMessage(form: FormData) {
  return withPublicErrors("sendMessage", () => {
    const { claims, rls } = requestDatabase();
    return commands.sendMessage(claims, rls, form);
  });
}

export function editMessage(form: FormData) {
  return withPublicErrors("editMessage", async () => {
    const { claims, rls } = requestDatabase();
    await commands.editMessage(claims, rls, form);
    return { edited: true as const };
  });
}

export function deleteMessage(form: FormData) {
  return withPublicErrors("deleteMessage", async () => {
    const { rls } = requestDatabase();
    await commands.deleteMessage(rls, form);
    return { deleted: true as const };
  });
}
