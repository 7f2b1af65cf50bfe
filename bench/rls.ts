/**
 * Issue 7, target 3: an RLS transaction against a plain query of the same 20 rows.
 *
 *   npx tsx bench/rls.ts [--rounds=5] [--duration=2] [--concurrency=8] [--rows=20]
 *
 * Runs in this process against a throw-away cluster (no app, no backend), with the app's own
 * createDatabase() from src/server/db/client.ts:
 *   plain           db.admin (drizzle), the same select outside any transaction
 *   plain, drizzle prepared   db.admin select .prepare("name").execute()
 *   plain prepared  the same SQL as a named prepared statement on the admin pool (no drizzle)
 *   ours            db.rls(bob's claims, tx => the same select)
 *   ours, read      db.read(...): what loaders use; READ ONLY, COMMIT sent but not awaited
 *   naive           the usual recipe: drizzle transaction on the rls_client login,
 *                   set_config(...) then SET LOCAL ROLE authenticated, then the select
 * Sequential (one query in flight) and concurrent (`concurrency` in flight, pool of 10), each
 * variant alternated with the others, medians of `rounds` runs.
 */
import { desc, isNull, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import { startLocalSupabase } from "local-supabase";
import postgres from "postgres";
import { createDatabase, type RlsTransaction, type VerifiedClaims } from "../src/server/db/client.ts";
import { messages } from "../src/server/db/schema.ts";
import { syncRlsClientPassword } from "../src/server/db/rls-client-login.ts";
import { withDatabaseUser } from "../scripts/local-env.ts";
import { alternate, median, report } from "./support/report.ts";
import { log, main, onCleanup, options } from "./support/run.ts";

const opts = options({ rounds: 5, duration: 2, warmup: 1, concurrency: 8, rows: 20, only: "" });

const BOB = "b0b00000-0000-4000-8000-000000000002";
const now = Math.floor(Date.now() / 1000);
const claims: VerifiedClaims = {
  sub: BOB,
  role: "authenticated",
  aud: "authenticated",
  iss: "http://127.0.0.1:54321/auth/v1",
  iat: now,
  exp: now + 3600,
  email: "bob@example.com",
  phone: "",
  session_id: "5e550000-0000-4000-8000-000000000001",
  aal: "aal1",
  is_anonymous: false,
  app_metadata: { provider: "email", providers: ["email"] },
  user_metadata: { username: "bob" },
};

await main(300, async () => {
  const cluster = await startLocalSupabase({ ephemeral: true, services: "postgres", database: "bench" });
  onCleanup(() => cluster.stop());
  const rlsPassword = "rls-client-bench-password";
  const adminUrl = cluster.dbUrl;
  const superuser = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  try {
    await syncRlsClientPassword(superuser, rlsPassword);
  } finally {
    await superuser.end();
  }
  const rlsUrl = withDatabaseUser(adminUrl, "rls_client", rlsPassword);
  const seed = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  await seed`
    insert into public.messages (author_id, body, created_at)
    select (array['a11ce000-0000-4000-8000-000000000001', ${BOB}, 'ca201000-0000-4000-8000-000000000003']::uuid[])[1 + i % 3],
           'Bench message number ' || i || ': a sentence of ordinary length for a chat feed.',
           now() - make_interval(secs => 100 - i)
    from generate_series(1, ${opts.rows * 2}::int) as i`;
  await seed`analyze public.messages`;
  await seed.end();

  const db = createDatabase({ url: rlsUrl, adminUrl, max: 10, adminMax: 10 });
  onCleanup(() => db.end());
  const naiveClient = postgres(rlsUrl, { max: 10, onnotice: () => undefined });
  onCleanup(() => naiveClient.end({ timeout: 5 }));
  const naiveDb = drizzle({ client: naiveClient });

  // The same 20 rows for every variant: public messages, newest first.
  const select = (q: typeof db.admin | RlsTransaction) =>
    q
      .select()
      .from(messages)
      .where(isNull(messages.recipientId))
      .orderBy(desc(messages.createdAt), desc(messages.id))
      .limit(opts.rows);
  const compiled = select(db.admin).toSQL();
  const adminClient = (db.admin as unknown as { $client: postgres.Sql }).$client;

  type Variant = "plain" | "plain, drizzle prepared" | "plain prepared" | "ours" | "ours, read" | "naive";
  const preparedSelect = select(db.admin).prepare("bench_plain_select");
  const ops: Record<Variant, () => Promise<unknown[]>> = {
    plain: () => select(db.admin),
    "plain, drizzle prepared": () => preparedSelect.execute(),
    "plain prepared": () => adminClient.unsafe(compiled.sql, compiled.params as never[], { prepare: true }),
    ours: () => db.rls(claims, (tx) => select(tx)),
    "ours, read": () => db.read(claims, (tx) => select(tx)),
    naive: () =>
      naiveDb.transaction(async (tx) => {
        await tx.execute(
          sql`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true), set_config('request.jwt.claim.sub', ${claims.sub}, true)`,
        );
        await tx.execute(sql`set local role authenticated`);
        return tx
          .select()
          .from(messages)
          .where(isNull(messages.recipientId))
          .orderBy(desc(messages.createdAt), desc(messages.id))
          .limit(opts.rows);
      }),
  };

  // Same rows everywhere (and RLS really applies in ours: bob's direct message is not public).
  const reference = JSON.stringify((await ops.plain()).map((row) => (row as { id: string }).id));
  for (const variant of Object.keys(ops) as Variant[]) {
    const rows = (await ops[variant]()) as { id: string }[];
    if (rows.length !== opts.rows) throw new Error(`${variant}: ${rows.length} rows`);
    if (JSON.stringify(rows.map((row) => row.id)) !== reference) throw new Error(`${variant}: different rows`);
  }
  const visible = await db.rls(claims, (tx) => tx.execute(sql`select current_user as role, auth.uid() as uid`));
  log(`inside rls(): ${JSON.stringify(visible[0])}`);

  const measure = (concurrency: number) => async (variant: Variant, warmup: boolean) => {
    const end = process.hrtime.bigint() + BigInt((warmup ? opts.warmup : opts.duration) * 1e9);
    const latencies: number[] = [];
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (process.hrtime.bigint() < end) {
          const begun = process.hrtime.bigint();
          await ops[variant]();
          latencies.push(Number(process.hrtime.bigint() - begun) / 1e6);
        }
      }),
    );
    const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    const used = process.cpuUsage(cpu);
    const result = {
      mean: latencies.reduce((a, b) => a + b, 0) / latencies.length,
      opsPerSecond: latencies.length / elapsed,
      cpuPerOp: (used.user + used.system) / latencies.length,
    };
    log(
      `${warmup ? "warm-up " : ""}${variant} x${concurrency}: ${result.opsPerSecond.toFixed(0)} ops/s, mean ${(result.mean * 1000).toFixed(0)} µs, client CPU ${result.cpuPerOp.toFixed(0)} µs/op`,
    );
    return result;
  };

  const variants: Variant[] = ["plain", "plain, drizzle prepared", "plain prepared", "ours", "ours, read", "naive"];
  if (opts.only) {
    // For profiling one path: node --cpu-prof --import tsx bench/rls.ts --only=ours
    const variant = variants.find((name) => name === opts.only);
    if (!variant) throw new Error(`--only must be one of ${variants.join(", ")}`);
    for (let round = 0; round < opts.rounds; round++) await measure(1)(variant, false);
    return;
  }
  const sequential = await alternate(variants, opts.rounds, measure(1));
  const concurrent = await alternate(variants, opts.rounds, measure(opts.concurrency));
  const latency = (variant: Variant) => median(sequential[variant].map((result) => result.mean * 1000));
  const throughput = (variant: Variant) => median(concurrent[variant].map((result) => result.opsPerSecond));

  console.log(
    `\nRLS transaction vs plain query, ${opts.rows} rows, ${opts.rounds} x ${opts.duration} s per variant, alternated, medians:`,
  );
  const ratio = latency("ours") / latency("plain");
  report({
    name: "T3 RLS transaction latency, one in flight",
    baselineLabel: "plain drizzle select",
    baseline: latency("plain"),
    ours: latency("ours"),
    unit: "µs",
    target: "<= 1.5x",
    met: ratio <= 1.5,
  });
  report({
    name: "   same vs drizzle prepared select",
    baselineLabel: "drizzle .prepare()",
    baseline: latency("plain, drizzle prepared"),
    ours: latency("ours"),
    unit: "µs",
  });
  report({
    name: "T3 read() (loaders: read only, COMMIT not awaited)",
    baselineLabel: "plain drizzle select",
    baseline: latency("plain"),
    ours: latency("ours, read"),
    unit: "µs",
    target: "<= 1.5x",
    met: latency("ours, read") / latency("plain") <= 1.5,
  });
  report({
    name: "   same vs drizzle prepared select",
    baselineLabel: "drizzle .prepare()",
    baseline: latency("plain, drizzle prepared"),
    ours: latency("ours, read"),
    unit: "µs",
    target: "<= 1.5x",
    met: latency("ours, read") / latency("plain, drizzle prepared") <= 1.5,
  });
  report({
    name: "   same vs postgres.js prepared statement",
    baselineLabel: "sql.unsafe prepared, no drizzle",
    baseline: latency("plain prepared"),
    ours: latency("ours, read"),
    unit: "µs",
  });
  report({
    name: "   anchor: naive RLS transaction",
    baselineLabel: "plain drizzle select",
    baseline: latency("plain"),
    ours: latency("naive"),
    unit: "µs",
  });
  report({
    name: `   throughput, ${opts.concurrency} in flight (ratio = plain/ours time)`,
    baselineLabel: "plain drizzle select",
    baseline: throughput("plain"),
    ours: throughput("ours"),
    unit: "ops/s",
    ratio: throughput("plain") / throughput("ours"),
  });
  report({
    name: `   throughput of read(), ${opts.concurrency} in flight`,
    baselineLabel: "plain drizzle select",
    baseline: throughput("plain"),
    ours: throughput("ours, read"),
    unit: "ops/s",
    ratio: throughput("plain") / throughput("ours, read"),
  });
  report({
    name: `   anchor throughput, ${opts.concurrency} in flight (ratio = plain/naive time)`,
    baselineLabel: "plain drizzle select",
    baseline: throughput("plain"),
    ours: throughput("naive"),
    unit: "ops/s",
    ratio: throughput("plain") / throughput("naive"),
  });
});
