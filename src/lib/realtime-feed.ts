/** What the page shows about the live connection. */
export type ConnectionState = "connecting" | "live" | "reconnecting" | "offline";

export interface RealtimeAccess {
  url: string;
  apikey: string;
  accessToken: string;
  /** Seconds since the epoch; the browser asks again shortly before. */
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
const HEARTBEAT_MS = 25_000;
const JOIN_TIMEOUT_MS = 10_000;
const TOPIC = "realtime:messages-feed";
const BINDING = { event: "*", schema: "public", table: "messages" };

interface ChangeData {
  type: MessageChange["type"];
  columns?: { name: string; type: string }[];
  record?: Record<string, unknown>;
  old_record?: Record<string, unknown>;
}

/** vsn 2.0.0 frames: [join_ref, ref, topic, event, payload]. */
type Frame = [string | null, string | null, string, string, Record<string, unknown>];

const offline = () => typeof navigator !== "undefined" && navigator.onLine === false;

/** Reconnect delays double from the first to the largest, each with jitter so tabs spread out. */
const FIRST_RETRY_MS = 1_000;
const LONGEST_RETRY_MS = 30_000;

function backoff(tries: number): number {
  const base = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, tries - 1));
  return base / 2 + Math.random() * (base / 2);
}

/** Values as realtime-js hands them to its callers: booleans from 't'/'f', ISO timestamps. */
function convertRow(columns: ChangeData["columns"], record: Record<string, unknown>): MessageChange["row"] {
  const row: Record<string, unknown> = { ...record };
  for (const { name, type } of columns ?? []) {
    const value = row[name];
    if (type === "bool" && (value === "t" || value === "f")) row[name] = value === "t";
    else if (type.startsWith("timestamp") && typeof value === "string") row[name] = value.replace(" ", "T");
  }
  return row as MessageChange["row"];
}

/**
 * The browser's only Supabase piece: one Realtime socket with one channel for public.messages
 * changes, speaking the Phoenix protocol that Supabase Realtime serves. It covers what the feed
 * needs and nothing else (no broadcast, presence or multiple channels), which is why it is not
 * @supabase/realtime-js: that weighs 17 KB gzip, this about 1.5 (ADR 0015). It authenticates with
 * tokens from the server, renews them on heartbeats, and reconnects with backoff after errors,
 * sleeps and network changes.
 */
export function connectLiveFeed(options: LiveFeedOptions): { close(): void } {
  let closed = false;
  let socket: WebSocket | undefined;
  let access: RealtimeAccess | undefined;
  let pendingAccess: Promise<RealtimeAccess> | undefined;
  let tries = 0;
  let ref = 0;
  let joinRef: string | undefined;
  let joined = false;
  let sentToken: string | undefined;
  let pendingHeartbeat: string | null = null;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let joinTimer: ReturnType<typeof setTimeout> | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  // Bumped by every restart and by close(): an open() that was waiting for a token when that
  // happened gives up instead of opening a second socket.
  let generation = 0;

  async function token(): Promise<string> {
    if (!access || access.expiresAt - Date.now() / 1000 < RENEW_BEFORE_SECONDS) {
      pendingAccess ??= options.getAccess().finally(() => {
        pendingAccess = undefined;
      });
      access = await pendingAccess;
    }
    return access.accessToken;
  }

  function send(topic: string, event: string, payload: Record<string, unknown>, join: string | null = joinRef ?? null): string {
    const id = String(++ref);
    if (socket && socket.readyState === socket.OPEN)
      socket.send(JSON.stringify([join, id, topic, event, payload] satisfies Frame));
    return id;
  }

  function stopTimers() {
    clearInterval(heartbeat);
    clearTimeout(joinTimer);
    clearTimeout(retryTimer);
    pendingHeartbeat = null;
    joined = false;
  }

  /** Drops the socket and connects again after a backoff; the rejoin catches up on what was missed. */
  function restart(delay = backoff(++tries)) {
    generation++;
    const old = socket;
    socket = undefined;
    stopTimers();
    old?.close();
    if (closed) return;
    options.onState(offline() ? "offline" : "reconnecting");
    retryTimer = setTimeout(() => void open(), delay);
  }

  /** After the server refused the token (or stopped the channel over it), ask for a new one. */
  function restartWithNewToken() {
    access = undefined;
    restart();
  }

  async function open() {
    const mine = generation;
    let first: string;
    try {
      first = await token();
    } catch {
      if (mine === generation) restart();
      return;
    }
    if (closed || mine !== generation || !access) return;
    const url = `${access.url.replace(/^http/, "ws")}/realtime/v1/websocket?apikey=${encodeURIComponent(access.apikey)}&vsn=2.0.0`;
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      if (socket !== ws) return;
      joinRef = String(++ref);
      sentToken = first;
      ws.send(
        JSON.stringify([
          joinRef,
          joinRef,
          TOPIC,
          "phx_join",
          {
            config: {
              broadcast: { ack: false, self: false },
              presence: { key: "", enabled: false },
              postgres_changes: [BINDING],
              private: false,
            },
            access_token: first,
          },
        ] satisfies Frame),
      );
      joinTimer = setTimeout(() => restart(), JOIN_TIMEOUT_MS);
      heartbeat = setInterval(beat, HEARTBEAT_MS);
    };
    ws.onmessage = (message: MessageEvent) => {
      if (socket === ws) receive(JSON.parse(String(message.data)) as Frame);
    };
    // Browsers follow an error with a close event, but Node 22's WebSocket stays CONNECTING after
    // a refused connection and never closes: reconnect on whichever comes first (restart() drops
    // this socket, so the other one is ignored).
    ws.onerror = ws.onclose = () => {
      if (socket === ws) restart();
    };
  }

  function beat() {
    // No reply to the last heartbeat in 25 s: the connection is dead even if the socket looks open.
    if (pendingHeartbeat) return restart();
    pendingHeartbeat = send("phoenix", "heartbeat", {}, null);
    void token().then(
      (current) => {
        if (joined && current !== sentToken) {
          sentToken = current;
          send(TOPIC, "access_token", { access_token: current });
        }
      },
      () => undefined,
    );
  }

  function receive([join, id, topic, event, payload]: Frame) {
    if (topic === "phoenix") {
      if (id !== pendingHeartbeat) return;
      pendingHeartbeat = null;
      // Backoff starts over only once a joined connection has proved healthy, not at every join:
      // a channel the server stops right after joining must not be retried once a second.
      if (joined) tries = 0;
      return;
    }
    if (topic !== TOPIC || (join !== null && join !== joinRef)) return;
    if (event === "phx_reply" && id === joinRef) {
      clearTimeout(joinTimer);
      const bindings = (payload.response as { postgres_changes?: (typeof BINDING)[] } | undefined)?.postgres_changes;
      const matches =
        bindings?.length === 1 &&
        bindings[0]?.event === "*" &&
        bindings[0].schema === "public" &&
        bindings[0].table === "messages";
      if (payload.status !== "ok") return restartWithNewToken();
      if (!matches) return restart();
      joined = true;
      options.onState("live");
      options.onSubscribed();
    } else if (event === "postgres_changes") {
      const data = payload.data as ChangeData | undefined;
      const record = data?.type === "DELETE" ? data.old_record : data?.record;
      if (data && record?.id) options.onChange({ type: data.type, row: convertRow(data.columns, record) });
    } else if (event === "system" && payload.status === "error") {
      // The channel stopped over its token (expired, rejected): join afresh with a new one.
      restartWithNewToken();
    } else if (event === "phx_error" || event === "phx_close") {
      restart();
    }
  }

  const wake = () => {
    if (closed) return;
    if (offline()) {
      options.onState("offline");
      return;
    }
    if (!socket || socket.readyState > socket.OPEN) {
      tries = 0;
      restart(0);
      return;
    }
    // Waking from sleep: the socket may look open but events were missed; catch up either way.
    if (joined) {
      options.onState("live");
      options.onSubscribed();
    }
  };
  const onVisible = () => {
    if (document.visibilityState === "visible") wake();
  };
  const onOffline = () => options.onState("offline");
  const inBrowser = typeof window !== "undefined";
  if (inBrowser) {
    window.addEventListener("online", wake);
    window.addEventListener("offline", onOffline);
    document.addEventListener("visibilitychange", onVisible);
  }

  options.onState("connecting");
  void open();

  return {
    close() {
      closed = true;
      generation++;
      if (inBrowser) {
        window.removeEventListener("online", wake);
        window.removeEventListener("offline", onOffline);
        document.removeEventListener("visibilitychange", onVisible);
      }
      if (joined) send(TOPIC, "phx_leave", {});
      const old = socket;
      socket = undefined;
      stopTimers();
      old?.close();
    },
  };
}
