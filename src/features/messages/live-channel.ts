import type { RealtimeChannel } from "@supabase/realtime-js";
import { MESSAGE_EVENT, TYPING_EVENT } from "~/lib/domain/realtime-topics";
import { type RealtimeAccess, useRealtime } from "~/lib/realtime";
import type { MessageChange } from "./live-feed";

export interface LiveChannelOptions {
  topic: string;
  me: string | undefined;
  presence: boolean;
  typing: boolean;
  getAccess: () => Promise<RealtimeAccess>;
  onChange: (change: MessageChange) => void;
  onStatus: (status: `${"SUBSCRIBED" | "TIMED_OUT" | "CLOSED" | "CHANNEL_ERROR"}`) => void;
  /** The ids present on the topic, each once however many tabs they have open. */
  onPresence: (ids: string[]) => void;
  onTyping: (from: string) => void;
}

/**
 * A page's private channel on the shared socket, as Supabase's docs write it:
 * `channel(topic, { config: { private: true } })`. Loaded after mount with realtime-js (ADR 0031),
 * so none of it weighs on the page's up-front JavaScript.
 */
export function joinLiveChannel(options: LiveChannelOptions): { sendTyping?: () => void; leave: () => void } {
  const realtime = useRealtime(options.getAccess);
  let channel: RealtimeChannel | undefined;
  let left = false;
  const { me } = options;
  void realtime.client
    .then((client) => {
      if (left) return;
      // The presence key is the user's id: one entry per user, not per tab.
      channel = client.channel(options.topic, { config: { private: true, presence: { key: me ?? "" } } });
      const joined = channel;
      joined.on("broadcast", { event: MESSAGE_EVENT }, (message) => options.onChange(message.payload as MessageChange));
      if (options.presence) {
        joined.on("presence", { event: "sync" }, () => options.onPresence(Object.keys(joined.presenceState()).sort()));
      }
      if (options.typing) {
        joined.on("broadcast", { event: TYPING_EVENT }, (message) => {
          const from = (message.payload as { userId?: unknown } | undefined)?.userId;
          if (typeof from === "string" && from !== me) options.onTyping(from);
        });
      }
      joined.subscribe((status) => {
        // Presence lives as long as the connection: every (re)join tracks again.
        if (status === "SUBSCRIBED" && options.presence) void joined.track({ online_at: new Date().toISOString() });
        options.onStatus(status);
      });
    })
    .catch(() => options.onStatus("CHANNEL_ERROR"));
  return {
    sendTyping: options.typing
      ? () => void channel?.send({ type: "broadcast", event: TYPING_EVENT, payload: { userId: me } })
      : undefined,
    leave() {
      left = true;
      const client = realtime.client;
      if (!channel) return realtime.release();
      const joined = channel;
      void client
        .then((c) => c.removeChannel(joined))
        .catch(() => undefined)
        .finally(realtime.release);
    },
  };
}
