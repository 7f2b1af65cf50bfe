/**
 * Insert → delivery latency of the embedded Realtime server, as a browser feed sees it:
 * N subscribers (each its own WebSocket and its own signed-in user, authorized by the app's
 * realtime.messages policies at join) on the feed's private database topic, a writer inserting
 * public messages through SQL at a steady pace; latency is "INSERT committed" → "Broadcast from
 * the database handled by the subscriber", same clock.
 *
 *   npx tsx bench/realtime-latency.ts [--subscribers=1,50,200] [--messages=40] [--interval-ms=50]
 *
 * Bounded: each scenario sends `messages` rows and waits at most 10 s for the last deliveries.
 */
import { randomUUID } from "node:crypto";
import { RealtimeClient } from "@supabase/realtime-js";
import { DATABASE_EVENTS, FEED_TOPIC } from "../src/lib/domain/realtime-topics.ts";
import postgres from "postgres";
import { log, main, options } from "./support/run.ts";
import { benchUsers } from "./support/users.ts";
import { startStack } from "./support/stack.ts";

const opts = options({ subscribers: "1,50,200", messages: 40, intervalMs: 50 });

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

main(300, async () => {
  const stack = await startStack(0);
  const sql = postgres(stack.adminUrl, { max: 2, onnotice: () => undefined });
  const [author] = await sql<{ id: string }[]>`select id from public.profiles where username = 'bob'`;
  if (!author) throw new Error("seed user bob missing");

  const counts = String(opts.subscribers).split(",").map(Number);
  const maxSubscribers = Math.max(...counts);
  const { tokens } = await benchUsers(sql, {
    count: maxSubscribers,
    emailPrefix: "bench-sub",
    dataDir: stack.stateDir,
    apiUrl: stack.backend.apiUrl,
  });

  console.log("Realtime insert → delivery latency (embedded backend, 127.0.0.1)");
  console.log(`messages per scenario: ${opts.messages}, one every ${opts.intervalMs} ms`);
  console.log("subscribers | deliveries | p50 ms | p99 ms | max ms");
  for (const subscriberCount of counts) {
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    const clients: RealtimeClient[] = [];
    await Promise.all(
      tokens.slice(0, subscriberCount).map(
        (token) =>
          new Promise<void>((resolve, reject) => {
            const client = new RealtimeClient(`${stack.backend.apiUrl}/realtime/v1`, {
              params: { apikey: stack.backend.publishableKey },
              accessToken: async () => token,
            });
            clients.push(client);
            void client.setAuth().then(() => {
              client
                .channel(FEED_TOPIC, { config: { private: true } })
                .on("broadcast", { event: DATABASE_EVENTS.message }, ({ payload }) => {
                  const start = sentAt.get((payload as { record?: { id?: string } }).record?.id ?? "");
                  if (start !== undefined) latencies.push(performance.now() - start);
                })
                .subscribe((status) => {
                  if (status === "SUBSCRIBED") resolve();
                  else if (status === "CHANNEL_ERROR" || status === "TIMED_OUT") reject(new Error(`subscribe: ${status}`));
                });
            });
          }),
      ),
    );
    // Let the replication feed settle after the joins.
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (let i = 0; i < opts.messages; i++) {
      const id = randomUUID();
      sentAt.set(id, performance.now());
      await sql`insert into public.messages (id, author_id, body) values (${id}, ${author.id}, ${`bench ${i}`})`;
      await new Promise((resolve) => setTimeout(resolve, opts.intervalMs));
    }
    const expected = opts.messages * subscriberCount;
    const deadline = Date.now() + 10_000;
    while (latencies.length < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const sorted = [...latencies].sort((a, b) => a - b);
    console.log(
      `${String(subscriberCount).padStart(11)} | ${`${latencies.length}/${expected}`.padStart(10)} | ${percentile(sorted, 50).toFixed(1).padStart(6)} | ${percentile(sorted, 99).toFixed(1).padStart(6)} | ${(sorted.at(-1) ?? Number.NaN).toFixed(1).padStart(6)}`,
    );
    await Promise.all(clients.map((client) => client.disconnect()));
    log(`scenario with ${subscriberCount} subscribers done`);
  }
  await sql.end();
});
