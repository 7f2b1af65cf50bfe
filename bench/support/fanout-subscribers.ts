/**
 * The subscribers of `bench/realtime-fanout.ts`, in a process apart from the server and the
 * writer: N sockets, one per user, each with one channel of the path under test. Driven over IPC:
 *
 *   parent → `{ start: SubscriberSetup }`  child → `{ joined, ms }` once every channel is joined
 *   child → `{ complete: seq }` when row `seq` has reached every subscriber
 *   parent → `{ report: true }`            child → `{ latencies, deliveries, duplicates }`
 *
 * Latency is taken here, at the moment the subscriber's handler runs, against the writer's
 * timestamp carried in the row (column `sent`). Both are `process.hrtime.bigint()`: on Linux that
 * is CLOCK_MONOTONIC, one kernel clock for every process of the machine, so the two readings are
 * directly comparable without any offset exchange (and, unlike `Date.now()` or
 * `performance.timeOrigin`, not stepped or slewed by NTP and not captured per process).
 */
import { RealtimeClient } from "@supabase/realtime-js";

export type FanoutPath = "broadcast" | "changes";
export type FanoutClient = "supabase-js" | "raw";

export interface SubscriberSetup {
  apiUrl: string;
  realtimeUrl: string;
  publishableKey: string;
  tokens: string[];
  path: FanoutPath;
  client: FanoutClient;
}

/** Topic of the broadcast path's private channel; the table of the Postgres Changes path. */
export const FANOUT_TOPIC = "bench-fanout";
export const CHANGES_TABLE = "bench_fanout_changes";
export const BROADCAST_TABLE = "bench_fanout_broadcast";

/** Joins in flight at once: a thousand at the same instant only measures the accept queue. */
const JOIN_CONCURRENCY = 50;

interface Row {
  seq: number;
  sent: string;
}

/** The parts of a server frame's payload read here (broadcast, postgres_changes, phx_reply, system). */
interface FramePayload {
  payload?: { record?: Row };
  data?: { record?: Row };
  status?: string;
  response?: unknown;
  message?: string;
}

const latencies: number[] = [];
const perSeq = new Map<number, number>();
let expected = 0;
let duplicates = 0;

function delivered(row: Row | undefined): void {
  const now = process.hrtime.bigint();
  if (!row) return;
  latencies.push(Number(now - BigInt(row.sent)) / 1e6);
  const count = (perSeq.get(row.seq) ?? 0) + 1;
  perSeq.set(row.seq, count);
  if (count > expected) duplicates++;
  if (count === expected) process.send?.({ complete: row.seq });
}

/** The official client: realtime-js, the Realtime part of supabase-js, unmodified. */
async function joinSupabaseJs(setup: SubscriberSetup, token: string): Promise<() => Promise<unknown>> {
  const client = new RealtimeClient(`${setup.apiUrl}/realtime/v1`, {
    params: { apikey: setup.publishableKey },
    accessToken: async () => token,
  });
  await client.setAuth();
  const channel =
    setup.path === "broadcast"
      ? client
          .channel(FANOUT_TOPIC, { config: { private: true } })
          .on("broadcast", { event: "INSERT" }, (message) => delivered((message.payload as { record?: Row }).record))
      : client
          .channel(FANOUT_TOPIC)
          .on("postgres_changes", { event: "INSERT", schema: "public", table: CHANGES_TABLE }, (payload) =>
            delivered(payload.new as Row),
          );
  await new Promise<void>((resolve, reject) => {
    channel.subscribe((status, error) => {
      if (status === "SUBSCRIBED") resolve();
      else if (status === "CHANNEL_ERROR" || status === "TIMED_OUT")
        reject(new Error(`subscribe: ${status} ${error?.message ?? ""}`));
    });
  });
  return () => client.disconnect();
}

/**
 * Raw Phoenix vsn 2.0.0 frames over Node's own WebSocket: the same join realtime-js sends, with
 * nothing else per message than one JSON.parse, to show how much of a figure is the client's.
 */
async function joinRaw(setup: SubscriberSetup, token: string): Promise<() => Promise<unknown>> {
  const socket = new WebSocket(`${setup.realtimeUrl}?apikey=${encodeURIComponent(setup.publishableKey)}&vsn=2.0.0`);
  const topic = `realtime:${FANOUT_TOPIC}`;
  const config =
    setup.path === "broadcast"
      ? { broadcast: { ack: false, self: false }, presence: { key: "", enabled: false }, postgres_changes: [], private: true }
      : {
          broadcast: { ack: false, self: false },
          presence: { key: "", enabled: false },
          postgres_changes: [{ event: "INSERT", schema: "public", table: CHANGES_TABLE }],
          private: false,
        };
  let ref = 1;
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () =>
      socket.send(JSON.stringify(["1", String(ref++), topic, "phx_join", { config, access_token: token }])),
    );
    socket.addEventListener("error", () => reject(new Error("socket error")));
    socket.addEventListener("message", (event) => {
      const [, replyTo, , name, payload] = JSON.parse(String(event.data)) as [unknown, unknown, string, string, FramePayload];
      if (name === "broadcast") delivered(payload.payload?.record);
      else if (name === "postgres_changes") delivered(payload.data?.record);
      else if (name === "phx_reply" && replyTo === "1") {
        if (payload.status === "ok") resolve();
        else reject(new Error(`join refused: ${JSON.stringify(payload.response)}`));
      } else if (name === "system" && payload.status === "error") reject(new Error(`system: ${payload.message}`));
    });
  });
  const heartbeat = setInterval(() => socket.send(JSON.stringify([null, String(ref++), "phoenix", "heartbeat", {}])), 25_000);
  return async () => {
    clearInterval(heartbeat);
    socket.close();
  };
}

const closers: (() => Promise<unknown>)[] = [];

async function start(setup: SubscriberSetup): Promise<void> {
  expected = setup.tokens.length;
  const begun = performance.now();
  const queue = [...setup.tokens];
  const join = setup.client === "raw" ? joinRaw : joinSupabaseJs;
  await Promise.all(
    Array.from({ length: Math.min(JOIN_CONCURRENCY, queue.length) }, async () => {
      for (let token = queue.shift(); token !== undefined; token = queue.shift()) closers.push(await join(setup, token));
    }),
  );
  process.send?.({ joined: closers.length, ms: performance.now() - begun });
}

process.on("message", (message: { start?: SubscriberSetup; report?: boolean }) => {
  if (message.start) {
    start(message.start).catch((error: Error) => {
      process.send?.({ error: error.message });
    });
  } else if (message.report) {
    process.send?.({ latencies, deliveries: latencies.length, duplicates });
  }
});
// The parent going away (its deadline, Ctrl-C) ends the subscribers too.
process.on("disconnect", () => {
  void Promise.allSettled(closers.map((close) => close())).finally(() => process.exit(0));
});
