import type { RealtimeChannel, RealtimeClient } from "@supabase/realtime-js";

/** What the page shows about the live connection. */
export type ConnectionState = "connecting" | "live" | "reconnecting" | "offline";

export interface RealtimeAccess {
  url: string;
  apikey: string;
  accessToken: string;
  expiresAt: number;
}

/** A row of public.messages as Realtime delivers it (snake_case, already type-converted). */
export interface MessageRow {
  id: string;
  author_id: string;
  recipient_id: string | null;
  is_announcement: boolean;
  body: string;
  created_at: string;
  edited_at: string | null;
  deleted_at: string | null;
}

export interface MessageChange {
  type: "INSERT" | "UPDATE" | "DELETE";
  /** For DELETE only the primary key is known (RLS tables carry nothing else). */
  row: Partial<MessageRow> & { id: string };
}

export interface LiveFeedOptions {
  /** Asks the server for a short-lived access token (the session cookies are httpOnly). */
  getAccess: () => Promise<RealtimeAccess>;
  onChange: (change: MessageChange) => void;
  onState: (state: ConnectionState) => void;
  /** After every (re)subscription: fetch what was missed while not subscribed. */
  onSubscribed: () => void;
}

/** Ask for a new token this long before the current one expires (heartbeats come every 25 s). */
const RENEW_BEFORE_SECONDS = 120;

// Loaded on demand: only the feed pages pay for the Realtime client.
const loadRealtime = () => import("@supabase/realtime-js");

function backoff(tries: number): number {
  const base = Math.min(30_000, 1_000 * 2 ** Math.max(0, tries - 1));
  return base / 2 + Math.random() * (base / 2);
}

/**
 * The browser's only Supabase piece: a Realtime connection for the message feed. It loads
 * @supabase/realtime-js alone (not supabase-js) to keep the page light, authenticates with tokens
 * from the server, and resubscribes with backoff after errors, sleeps and network changes.
 */
export function connectLiveFeed(options: LiveFeedOptions): { close(): void } {
  let closed = false;
  let client: RealtimeClient | undefined;
  let channel: RealtimeChannel | undefined;
  let access: RealtimeAccess | undefined;
  let pendingAccess: Promise<RealtimeAccess> | undefined;

  async function token(): Promise<string | null> {
    const now = Date.now() / 1000;
    if (!access || access.expiresAt - now < RENEW_BEFORE_SECONDS) {
      pendingAccess ??= options.getAccess().finally(() => {
        pendingAccess = undefined;
      });
      access = await pendingAccess;
    }
    return access.accessToken;
  }

  const wake = () => {
    if (closed || !client) return;
    if (!navigator.onLine) {
      options.onState("offline");
      return;
    }
    if (!client.isConnected()) client.connect();
    // Waking from sleep: the socket may look open but events were missed; catch up either way.
    options.onSubscribed();
  };
  const onVisible = () => {
    if (document.visibilityState === "visible") wake();
  };
  const onOffline = () => options.onState("offline");

  async function start(attempt: number): Promise<void> {
    options.onState(attempt === 0 ? "connecting" : "reconnecting");
    let loaded: [Awaited<ReturnType<typeof loadRealtime>>, RealtimeAccess];
    try {
      loaded = await Promise.all([loadRealtime(), options.getAccess()]);
    } catch {
      if (!closed) setTimeout(() => void start(attempt + 1), backoff(attempt + 1));
      return;
    }
    const [{ RealtimeClient }, first] = loaded;
    if (closed) return;
    access = first;
    client = new RealtimeClient(`${first.url}/realtime/v1`, {
      params: { apikey: first.apikey },
      accessToken: token,
      reconnectAfterMs: backoff,
    });
    // Without this the first join can leave before the accessToken callback resolved, carrying
    // only the publishable key: the server would authorize the channel as anon (sees nothing).
    await client.setAuth();
    if (closed) return;
    channel = client
      .channel("messages-feed")
      .on("postgres_changes", { event: "*", schema: "public", table: "messages" }, (payload) => {
        const row = (payload.eventType === "DELETE" ? payload.old : payload.new) as MessageChange["row"];
        if (row?.id) options.onChange({ type: payload.eventType, row });
      })
      .subscribe((status) => {
        if (closed) return;
        if (status === "SUBSCRIBED") {
          options.onState("live");
          options.onSubscribed();
        } else if (status === "CLOSED") {
          options.onState("offline");
        } else {
          options.onState("reconnecting");
        }
      });
    window.addEventListener("online", wake);
    window.addEventListener("offline", onOffline);
    document.addEventListener("visibilitychange", onVisible);
  }
  void start(0);

  return {
    close() {
      closed = true;
      window.removeEventListener("online", wake);
      window.removeEventListener("offline", onOffline);
      document.removeEventListener("visibilitychange", onVisible);
      if (channel) void client?.removeChannel(channel);
      void client?.disconnect();
    },
  };
}
