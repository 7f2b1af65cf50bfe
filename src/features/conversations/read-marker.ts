import { createAsync, revalidate } from "@solidjs/router";
import { createEffect, on } from "solid-js";
import { getConversationList, markConversationRead } from "./conversations.api";

/**
 * Marks the open conversation read: when the page opens (on the server too, so a visit without
 * JavaScript counts: the page reads the result, and the server waits for it) and each time the
 * other person's messages on the page grow. Not in the route's preload, which the router also
 * runs when a link is only hovered. A failed mark leaves the conversation unread, never the page
 * broken. The list the router may still hold is revalidated after each mark.
 */
export function useReadMarker(username: () => string, partnerMessages: () => number) {
  const mark = () => markConversationRead(username()).catch(() => ({ marked: false }));
  const marked = createAsync(mark);
  createEffect(on(marked, (result) => result && revalidate(getConversationList.key), { defer: true }));
  createEffect(
    on(
      () => marked() && partnerMessages(),
      (count, previous) => {
        if (typeof count === "number" && typeof previous === "number" && count > previous) {
          void mark().then(() => revalidate(getConversationList.key));
        }
      },
    ),
  );
  return marked;
}
