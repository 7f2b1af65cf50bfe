/**
 * Fan-out of one insert to N subscribers over the embedded Realtime (issue 13, Performance):
 * Broadcast from the database on a private channel beside today's Postgres Changes path, in the
 * same run, for each N.
 *
 *   npx tsx bench/realtime-fanout.ts [--subscribers=1,200,1000] [--messages=60,60,30] [--client=supabase-js|raw]
 *                                    [--cpu-at=200] [--rounds=3] [--profile]
 *
 * - broadcast: a row in `bench_fanout_broadcast` fires a trigger calling
 *   `realtime.broadcast_changes('bench-fanout', ...)`; subscribers join the private channel
 *   `bench-fanout`, authorized by a SELECT policy on `realtime.messages` for that topic.
 * - postgres_changes: a row in `bench_fanout_changes` (in the `supabase_realtime` publication,
 *   RLS on, a SELECT policy for signed-in users); subscribers bind `INSERT` on that table, so the
 *   server checks the row once per distinct subscriber (each subscriber is its own user).
 *
 * Three processes, so no figure includes another's work on the same 2 cores: the local Supabase
 * (`support/fanout-server.ts`; its CPU and its Postgres' are read from /proc around each phase),
 * the subscribers (`support/fanout-subscribers.ts`, one socket per user; latency is taken there,
 * see that file for the shared clock), and this writer. Each row is inserted once the previous
 * one has reached every subscriber (or 5 s passed): the latency of one insert's fan-out, not of a
 * backlog. Bounded: the whole run stops itself after 330 s.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import {
  BROADCAST_TABLE,
  CHANGES_TABLE,
  FANOUT_TOPIC,
  type FanoutClient,
  type FanoutPath,
  type SubscriberSetup,
} from "./support/fanout-subscribers.ts";
import { CLOCK_TICKS } from "./support/load.ts";
import { benchUsers } from "./support/users.ts";
import { alternate, median, pairedRatio, report } from "./support/report.ts";
import { benchDir, children, log, main, onCleanup, options, root } from "./support/run.ts";

const opts = options({
  subscribers: "1,200,1000",
  messages: "60,60,30",
  client: "supabase-js",
  cpuAt: 200,
  rounds: 3,
  profile: false,
});
if (opts.client !== "supabase-js" && opts.client !== "raw") throw new Error("--client is supabase-js or raw");
const client = opts.client as FanoutClient;

const COMPLETION_TIMEOUT_MS = 5_000;
const GAP_MS = 20;
const WARMUP_ROWS = 5;
const PATHS: Record<FanoutPath, string> = { broadcast: "broadcast (private)", changes: "postgres_changes" };

/**
 * CPU seconds a process has run, all its threads (Node's GC and libuv helpers included), from
 * /proc/<pid>/task/<tid>/schedstat: nanoseconds, where /proc/<pid>/stat counts 10 ms ticks, too
 * coarse for a few microseconds per delivery.
 */
function processCpuSeconds(pid: number): number {
  let ns = 0;
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  for (const task of tasks) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return ns / 1e9;
}

/**
 * CPU seconds of Postgres: the postmaster and its live children (backends, the walsender that
 * decodes the replication stream, background workers), plus what exited children used (the
 * postmaster's cutime/cstime, counted once it reaps them).
 */
function postgresCpuSeconds(postmasterPid: number): number {
  let seconds = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const pid = Number(entry);
    if (pid !== postmasterPid && Number(fields[1]) !== postmasterPid) continue;
    seconds += processCpuSeconds(pid);
    if (pid === postmasterPid) seconds += (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
  }
  return seconds;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface ServerInfo {
  pid: number;
  postmasterPid: number;
  apiUrl: string;
  realtimeUrl: string;
  publishableKey: string;
  adminUrl: string;
  dataDir: string;
}

/** Node child running a bench/support script with tsx, with an IPC channel. */
function spawnScript(file: string, nodeArgs: string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, "--import", "tsx", join(benchDir, "support", file)], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
}

function nextMessage<T>(child: ChildProcess, pick: (message: Record<string, unknown>) => T | undefined, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no answer from the child within ${ms} ms`)), ms);
    const onMessage = (message: Record<string, unknown>) => {
      if (typeof message.error === "string") return done(new Error(message.error));
      const value = pick(message);
      if (value !== undefined) done(undefined, value);
    };
    const onExit = () => done(new Error("the child exited"));
    function done(error: Error | undefined, value?: T) {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
      if (error) reject(error);
      else resolve(value as T);
    }
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

async function startServer(): Promise<ServerInfo> {
  const profileDir = join(root, ".cache", "bench-profiles");
  const server = spawnScript("fanout-server.ts", opts.profile ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []);
  // Not in `children`: a SIGKILL would leave its Postgres running; it is asked to stop instead and
  // stops by itself if this process dies (IPC disconnect).
  onCleanup(async () => {
    if (server.exitCode !== null || server.signalCode !== null) return;
    const exited = once(server, "exit");
    server.send({ stop: true });
    const timer = setTimeout(() => server.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(timer);
    if (opts.profile) log(`server CPU profile in ${profileDir}`);
  });
  return nextMessage(server, (message) => (message.ready ? (message as unknown as ServerInfo) : undefined), 180_000);
}

main(330, async () => {
  const server = await startServer();
  log(`local Supabase up (pid ${server.pid}, postmaster ${server.postmasterPid})`);
  const sql = postgres(server.adminUrl, { max: 1, onnotice: () => undefined });
  onCleanup(() => sql.end());

  await sql.unsafe(`
    create table public.${CHANGES_TABLE} (
      id uuid primary key default gen_random_uuid(), seq int not null, sent text not null, body text not null);
    alter table public.${CHANGES_TABLE} enable row level security;
    create policy bench_fanout_changes_read on public.${CHANGES_TABLE} for select to authenticated
      using ((select auth.uid()) is not null);
    grant select on public.${CHANGES_TABLE} to authenticated;
    alter publication supabase_realtime add table public.${CHANGES_TABLE};

    create table public.${BROADCAST_TABLE} (
      id uuid primary key default gen_random_uuid(), seq int not null, sent text not null, body text not null);
    alter table public.${BROADCAST_TABLE} enable row level security;
    create function public.bench_fanout_broadcast_row() returns trigger
      language plpgsql security definer set search_path = '' as $$
    begin
      perform realtime.broadcast_changes('${FANOUT_TOPIC}', tg_op, tg_op, tg_table_name, tg_table_schema, new, old);
      return null;
    end $$;
    create trigger bench_fanout_broadcast after insert on public.${BROADCAST_TABLE}
      for each row execute function public.bench_fanout_broadcast_row();
    create policy bench_fanout_join on realtime.messages for select to authenticated
      using ((select realtime.topic()) = '${FANOUT_TOPIC}' and extension = 'broadcast');
  `);

  const counts = opts.subscribers.split(",").map(Number);
  // Rows per phase, one figure per entry of --subscribers (the last one repeats).
  const rowCounts = opts.messages.split(",").map(Number);
  const rowsFor = (n: number) => rowCounts[Math.min(counts.indexOf(n), rowCounts.length - 1)] ?? 30;
  const maxSubscribers = Math.max(...counts);
  // Distinct users, so Postgres Changes checks each subscriber's claims apart (as a feed read by
  // N people does); inserted directly and signed with the backend's key, as sign-in would.
  const { tokens } = await benchUsers(sql, {
    count: maxSubscribers,
    emailPrefix: "bench-fanout",
    dataDir: server.dataDir,
    apiUrl: server.apiUrl,
  });
  const body = "a message of about the length of a feed post, ".repeat(3);

  interface PhaseResult {
    deliveries: number;
    expected: number;
    duplicates: number;
    p50: number;
    p99: number;
    max: number;
    joinMs: number;
    nodeCpuUs: number;
    postgresCpuUs: number;
    clientCpuUs: number;
  }

  async function phase(n: number, path: FanoutPath, rows: number): Promise<PhaseResult> {
    const child = spawnScript("fanout-subscribers.ts");
    children.add(child);
    try {
      const setup: SubscriberSetup = {
        apiUrl: server.apiUrl,
        realtimeUrl: server.realtimeUrl,
        publishableKey: server.publishableKey,
        tokens: tokens.slice(0, n),
        path,
        client,
      };
      child.send({ start: setup });
      const joined = await nextMessage(
        child,
        (message) => (typeof message.joined === "number" ? (message as { joined: number; ms: number }) : undefined),
        120_000,
      );
      // Let the last join replies and "Subscribed to PostgreSQL" messages settle.
      await sleep(500);
      const table = path === "broadcast" ? BROADCAST_TABLE : CHANGES_TABLE;
      const before = {
        node: processCpuSeconds(server.pid),
        postgres: postgresCpuSeconds(server.postmasterPid),
        client: processCpuSeconds(child.pid ?? 0),
      };
      for (let seq = 0; seq < rows; seq++) {
        const complete = nextMessage(
          child,
          (message) => (message.complete === seq ? true : undefined),
          COMPLETION_TIMEOUT_MS,
        ).catch(() => false);
        const sent = process.hrtime.bigint();
        await sql.unsafe(`insert into public.${table} (seq, sent, body) values ($1, $2, $3)`, [seq, sent.toString(), body]);
        if (!(await complete))
          log(`${PATHS[path]}, ${n} subscribers: row ${seq} not delivered to all within ${COMPLETION_TIMEOUT_MS} ms`);
        await sleep(GAP_MS);
      }
      const after = {
        node: processCpuSeconds(server.pid),
        postgres: postgresCpuSeconds(server.postmasterPid),
        client: processCpuSeconds(child.pid ?? 0),
      };
      child.send({ report: true });
      const result = await nextMessage(
        child,
        (message) =>
          Array.isArray(message.latencies)
            ? (message as { latencies: number[]; deliveries: number; duplicates: number })
            : undefined,
        30_000,
      );
      const sorted = [...result.latencies].sort((a, b) => a - b);
      const perDelivery = (seconds: number) => (seconds * 1e6) / Math.max(1, result.deliveries);
      return {
        deliveries: result.deliveries,
        expected: n * rows,
        duplicates: result.duplicates,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        max: sorted.at(-1) ?? Number.NaN,
        joinMs: joined.ms,
        nodeCpuUs: perDelivery(after.node - before.node),
        postgresCpuUs: perDelivery(after.postgres - before.postgres),
        clientCpuUs: perDelivery(after.client - before.client),
      };
    } finally {
      const exited = once(child, "exit");
      child.disconnect();
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
      children.delete(child);
    }
  }

  type Variant = `${FanoutPath}:${number}`;
  const variants = counts.flatMap((n) => (["broadcast", "changes"] as const).map((path): Variant => `${path}:${n}`));
  // Every phase in a fresh order per round, after a short warm-up pass of each (JIT, plan caches,
  // the first private-channel checks), as bench/support/report.ts does for the other scripts.
  const runs = await alternate(variants, opts.rounds, async (variant, warmup) => {
    const [path, n] = variant.split(":") as [FanoutPath, string];
    log(`${warmup ? "warm-up " : ""}${PATHS[path]}: ${n} subscribers`);
    return phase(Number(n), path, warmup ? WARMUP_ROWS : rowsFor(Number(n)));
  });

  const runsOf = (path: FanoutPath, n: number): PhaseResult[] => runs[`${path}:${n}`] ?? [];

  console.log(`\nRealtime fan-out, one insert → N subscribers (embedded backend, 127.0.0.1, client: ${client})`);
  console.log(
    `${counts.map(rowsFor).join(" / ")} rows per phase, each sent once the previous one reached every subscriber; ` +
      `${opts.rounds} rounds, medians of the rounds (p99 range in brackets)`,
  );
  console.log(
    "path                | N    | delivered     | dup | p50 ms | p99 ms              | max ms | join s | server µs/delivery (node + postgres) | client µs/delivery",
  );
  const med = (list: PhaseResult[], pick: (r: PhaseResult) => number) => median(list.map(pick));
  for (const n of counts) {
    for (const path of ["broadcast", "changes"] as const) {
      const list = runsOf(path, n);
      const p99s = list.map((r) => r.p99);
      const node = med(list, (r) => r.nodeCpuUs);
      const pg = med(list, (r) => r.postgresCpuUs);
      console.log(
        [
          PATHS[path].padEnd(19),
          String(n).padEnd(4),
          `${list.reduce((sum, r) => sum + r.deliveries, 0)}/${list.reduce((sum, r) => sum + r.expected, 0)}`.padEnd(13),
          String(list.reduce((sum, r) => sum + r.duplicates, 0)).padStart(3),
          med(list, (r) => r.p50)
            .toFixed(1)
            .padStart(6),
          `${median(p99s).toFixed(1)} [${Math.min(...p99s).toFixed(0)}–${Math.max(...p99s).toFixed(0)}]`.padEnd(19),
          med(list, (r) => r.max)
            .toFixed(1)
            .padStart(6),
          (med(list, (r) => r.joinMs) / 1000).toFixed(1).padStart(6),
          `${med(list, (r) => r.nodeCpuUs + r.postgresCpuUs).toFixed(1)} (${node.toFixed(1)} + ${pg.toFixed(1)})`.padEnd(36),
          med(list, (r) => r.clientCpuUs).toFixed(1),
        ].join(" | "),
      );
    }
  }
  console.log("");
  const allDelivered = (list: PhaseResult[]) => list.every((r) => r.deliveries === r.expected && r.duplicates === 0);
  for (const n of counts) {
    const bc = runsOf("broadcast", n);
    const pc = runsOf("changes", n);
    const ours = bc.map((r) => r.p99);
    const baseline = pc.map((r) => r.p99);
    const ratio = pairedRatio(ours, baseline);
    report({
      name: `fan-out p99, N=${n}`,
      baselineLabel: "postgres_changes",
      baseline: median(baseline),
      ours: median(ours),
      unit: "ms",
      ratio: ratio.median,
      range: [ratio.min, ratio.max],
      ...(n === 1000 ? { target: "broadcast p99 ≤ 150 ms at 1000", met: median(ours) <= 150 && allDelivered(bc) } : {}),
    });
  }
  const bc = runsOf("broadcast", opts.cpuAt);
  const pc = runsOf("changes", opts.cpuAt);
  if (bc.length > 0 && pc.length > 0) {
    const ours = bc.map((r) => r.nodeCpuUs + r.postgresCpuUs);
    const baseline = pc.map((r) => r.nodeCpuUs + r.postgresCpuUs);
    const ratio = pairedRatio(ours, baseline);
    report({
      name: `server CPU per delivered message, N=${opts.cpuAt}`,
      baselineLabel: "postgres_changes",
      baseline: median(baseline),
      ours: median(ours),
      unit: "µs",
      ratio: ratio.median,
      range: [ratio.min, ratio.max],
      target: "≥ 3× cheaper (ratio ≤ 0.33)",
      met: ratio.max * 3 <= 1,
    });
  }
});
