import { revalidate } from "@solidjs/router";
import type { RealtimeChannel, RealtimeClient } from "@supabase/realtime-js";
import { DATABASE_EVENTS, userTopic } from "~/lib/domain/realtime-topics";
import type { RealtimeAccess } from "~/lib/realtime";

/** Past the middleware's one-second revocation cache (ADR 0035). */
const ASK_AGAIN_MS = 1_200;

/**
 * The user's own database topic, on the page's socket (ADR 0040). Realtime honours an access token
 * until it expires, whatever happened to its session, so the database tells the pages instead:
 * - `sessions_ended` naming this page's session: the page runs its loaders again, and the server,
 *   which checks the session on every request, sends it to the sign-in page. Each app instance
 *   rereads the revocation counter at most once a second (ADR 0035), so the page asks twice;
 * - `claims_changed` (a role granted or taken): the page fetches its data again, and the middleware
 *   refreshes the claims first, so moderator controls come or go at once.
 * A client that ignores these keeps receiving until its token expires: that window is Realtime's
 * and is bounded by `jwt_expiry` (docs/threat-model.md).
 */
export function watchOwnSession(client: Promise<RealtimeClient>, access: Promise<RealtimeAccess>): () => void {
  let channel: RealtimeChannel | undefined;
  let stopped = false;
  void Promise.all([client, access]).then(
    ([socket, { userId, sessionId }]) => {
      if (stopped) return;
      channel = socket.channel(userTopic(userId), { config: { private: true } });
      channel
        .on("broadcast", { event: DATABASE_EVENTS.sessionsEnded }, ({ payload }) => {
          const ended = (payload as { session_ids?: unknown } | undefined)?.session_ids;
          if (!sessionId || !Array.isArray(ended) || !ended.includes(sessionId)) return;
          void revalidate();
          setTimeout(() => void revalidate(), ASK_AGAIN_MS);
        })
        .on("broadcast", { event: DATABASE_EVENTS.claimsChanged }, () => void revalidate())
        .subscribe();
    },
    () => undefined,
  );
  return () => {
    stopped = true;
    const joined = channel;
    if (joined) void client.then((socket) => socket.removeChannel(joined)).catch(() => undefined);
  };
}
