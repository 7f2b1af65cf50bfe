import { revalidate } from "@solidjs/router";
import type { RealtimeChannel } from "@supabase/realtime-js";
import { getRealtimeAccess } from "~/features/messages/messages.api";
import { DATABASE_EVENTS, userTopic } from "~/lib/domain/realtime-topics";
import { useRealtime } from "~/lib/realtime";

/** Past the middleware's one-second counter caches. */
const ASK_AGAIN_MS = 1_200;

function revalidateNowAndAgain(): void {
  void revalidate();
  setTimeout(() => void revalidate(), ASK_AGAIN_MS);
}

/**
 * The user's own database topic, joined by every signed-in page (the site layout, after mount) on
 * the socket the page's other channels share (ADR 0040). Realtime honours an access token
 * until it expires, whatever happened to its session, so the database tells the pages instead:
 * - `sessions_ended` naming this page's session: the page runs its loaders again, and the server,
 *   which checks the session on every request, sends it to the sign-in page;
 * - `claims_changed` (a role granted or taken): the page fetches its data again, and the middleware
 *   refreshes the claims first, so moderator controls come or go at once.
 * Each app instance rereads the revocation and claims counters at most once a second (ADRs 0014,
 * 0035), so the page asks twice: at once, and once more past that second.
 * A client that ignores these keeps receiving until its token expires: that window is Realtime's
 * and is bounded by `jwt_expiry` (docs/threat-model.md).
 */
export function watchOwnSession(signingOutHere: () => boolean): () => void {
  const realtime = useRealtime(() => getRealtimeAccess());
  let channel: RealtimeChannel | undefined;
  let stopped = false;
  void Promise.all([realtime.client, realtime.access]).then(
    ([socket, { userId, sessionId }]) => {
      if (stopped) return;
      channel = socket.channel(userTopic(userId), { config: { private: true } });
      channel
        .on("broadcast", { event: DATABASE_EVENTS.sessionsEnded }, ({ payload }) => {
          const ended = (payload as { session_ids?: unknown } | undefined)?.session_ids;
          // This tab's own sign-out redirects by itself; running the loaders now would race it.
          if (signingOutHere()) return;
          if (sessionId && Array.isArray(ended) && ended.includes(sessionId)) revalidateNowAndAgain();
        })
        .on("broadcast", { event: DATABASE_EVENTS.claimsChanged }, revalidateNowAndAgain)
        .subscribe();
    },
    () => undefined,
  );
  return () => {
    stopped = true;
    const joined = channel;
    if (!joined) return realtime.release();
    void realtime.client
      .then((socket) => socket.removeChannel(joined))
      .catch(() => undefined)
      .finally(realtime.release);
  };
}
