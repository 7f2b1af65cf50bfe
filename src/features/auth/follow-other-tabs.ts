import { revalidate, useSubmission } from "@solidjs/router";
import { createEffect, createMemo, on, onCleanup } from "solid-js";
import { isServer } from "solid-js/web";
import { signOut } from "./auth.api";

const CHANNEL = "auth";

/**
 * Keeps every open tab on the same session: when this tab sees the signed-in user change it tells
 * the others, which re-run their loaders (a protected page then redirects to /login by itself).
 * Only the user id crosses the channel; tokens stay in httpOnly cookies.
 */
export function followOtherTabs(userId: () => string | null | undefined): void {
  if (isServer || typeof BroadcastChannel === "undefined") return;
  const channel = new BroadcastChannel(CHANNEL);
  let announcedByOtherTab: string | null | undefined;
  channel.onmessage = (event: MessageEvent<{ userId: string | null }>) => {
    if (event.data?.userId === userId()) return;
    announcedByOtherTab = event.data?.userId ?? null;
    void revalidate();
  };
  createEffect(
    on(
      userId,
      (current) => {
        if (current === undefined) return;
        if (current === announcedByOtherTab) {
          announcedByOtherTab = undefined;
          return;
        }
        channel.postMessage({ userId: current });
      },
      { defer: true },
    ),
  );
  onCleanup(() => channel.close());
}

/**
 * While a user is signed in, the page follows what the database says about their session and
 * roles (./session-watch, loaded after mount so realtime-js is not part of any page's up-front
 * JavaScript). The socket stays across client-side navigations and closes at sign-out.
 */
export function followOwnSession(userId: () => string | null | undefined): void {
  if (isServer) return;
  const signOutHere = useSubmission(signOut);
  // The user query answers with a new object at every revalidation: only a change of id may
  // leave and join the topic again (a gap in which a sign-out event would be missed).
  const id = createMemo(userId);
  createEffect(
    on(id, (current) => {
      if (!current) return;
      let stop: (() => void) | undefined;
      let cancelled = false;
      void import("./session-watch").then(
        ({ watchOwnSession }) => {
          // In flight, or done and not yet navigated away (the router keeps a finished submission
          // until the next navigation): either way this tab's own redirect is coming.
          if (!cancelled) stop = watchOwnSession(() => signOutHere.pending !== undefined && !signOutHere.error);
        },
        () => undefined,
      );
      onCleanup(() => {
        cancelled = true;
        stop?.();
      });
    }),
  );
}
