/**
 * Issue 7, targets 1 and 5: SSR requests/s and per-request overhead of the session middleware.
 *
 *   npx tsx bench/ssr.ts [--rounds=8] [--duration=2] [--one-duration=1.5] [--connections=32]
 *                        [--page=/] [--source=worktree|<git ref>] [--compare=<git ref>] [--wrk]
 *
 * Two builds of the same sources in temp dirs: the app as is, and a copy whose middleware
 * picks its mode per request from an x-bench-session header (bench/variants/session-switch.ts):
 *   off        middleware disabled: nothing read, every request anonymous (the baseline)
 *   ours       the app's updateSession (no header), with bob's valid session cookie
 *   no-cookie  the app's updateSession, no cookie (the other baseline the brief allows)
 *   naive      createServerClient + getClaims per request (the issue's anchor)
 *   ours, many users   the app's updateSession, each request another of 4000 users' sessions
 *              (a user comes back every ~10 s, like real page views, past any per-user TTL cache)
 *   messages   GET /messages with bob's session and 50 messages (target 5)
 *   messages (<ref>)   the same request to a build of --compare=<ref> (another process, same
 *              database), alternated with the others: a before/after of /messages in one run
 * All of these run in ONE process of the switch build, so the ratios compare the same process,
 * build and JIT state; "ours (unpatched build)" runs the app's own build as a control. The same
 * cookie is sent in every mode. Runs alternate (A B C A B C ...) after a warm-up; medians.
 */
import postgres from "postgres";
import { get, insertBenchMessages, manyUserCookies, signIn, startApp } from "./support/app.ts";
import { buildApp, buildVariant } from "./support/build.ts";
import { hasWrk, load, type LoadResult, wrkLoad } from "./support/load.ts";
import { alternate, describe, median, pairedRatio, report } from "./support/report.ts";
import { log, main, options } from "./support/run.ts";
import { startStack } from "./support/stack.ts";

const opts = options({
  rounds: 8,
  duration: 2,
  oneDuration: 1.5,
  warmup: 2,
  connections: 32,
  page: "/",
  source: "worktree",
  wrk: false,
  messages: 50,
  /** A git ref whose build serves /messages beside this one's (empty: none). */
  compare: "",
  /** Distinct signed-in users cycled through by the "many users" variant (0: skip it). */
  users: 4000,
});

await main(600, async () => {
  if (opts.wrk && !hasWrk()) throw new Error("--wrk given but wrk is not installed (apt-get install -y wrk)");
  const stack = await startStack(4);
  const [appDir, variantDir, compareDir] = await Promise.all([
    buildApp({ source: opts.source, label: "app" }),
    buildVariant(opts.source),
    opts.compare ? buildApp({ source: opts.compare, label: "compare" }) : undefined,
  ]);
  const [portSwitch, portPristine, portCompare] = stack.appPorts as [number, number, number];
  const app = await startApp(stack, variantDir, portSwitch);
  const pristine = await startApp(stack, appDir, portPristine);
  const compared = compareDir ? await startApp(stack, compareDir, portCompare) : undefined;
  const cookie = await signIn(app.url);
  const withCookie = { cookie };
  const mode = (name: string) => ({ cookie, "x-bench-session": name });

  // Sanity: who each mode thinks the visitor is, and that a valid session writes no cookie.
  const signedIn = (body: string) => body.includes('data-testid="signed-in-as"');
  const checks = {
    ours: await get(`${app.url}${opts.page}`, withCookie),
    pristine: await get(`${pristine.url}${opts.page}`, withCookie),
    off: await get(`${app.url}${opts.page}`, mode("off")),
    naive: await get(`${app.url}${opts.page}`, mode("naive")),
    anonymous: await get(`${app.url}${opts.page}`),
  };
  for (const name of ["ours", "pristine", "naive"] as const) {
    const check = checks[name];
    if (check.status !== 200 || !signedIn(check.body)) throw new Error(`${name}: ${opts.page} not signed in (${check.status})`);
  }
  if (checks.ours.setCookies.length)
    throw new Error(`ours: a valid session wrote cookies: ${checks.ours.setCookies.join(" | ")}`);
  if (signedIn(checks.off.body) || signedIn(checks.anonymous.body)) throw new Error("off / no-cookie: signed in?");
  log(`page ${opts.page}: ${checks.ours.body.length} B signed in, ${checks.off.body.length} B anonymous`);

  // /messages with N messages, when the page exists.
  let messagesPage = false;
  const probe = await get(`${app.url}/messages`, withCookie);
  if (probe.status === 200) {
    const sql = postgres(stack.adminUrl, { max: 1, onnotice: () => undefined });
    try {
      const [{ visible } = { visible: 0 }] = await sql<{ visible: number }[]>`
        select count(*)::int as visible from public.messages
        where recipient_id is null or 'b0b00000-0000-4000-8000-000000000002' in (author_id, recipient_id)`;
      await insertBenchMessages(stack.adminUrl, opts.messages - visible);
    } finally {
      await sql.end();
    }
    const page = await get(`${app.url}/messages`, withCookie);
    messagesPage = page.status === 200;
    const shown = (page.body.match(/Bench message number/g) ?? []).length;
    log(`/messages: ${page.status}, ${page.body.length} B, ${shown} bench messages rendered`);
    if (compared) {
      const before = await get(`${compared.url}/messages`, withCookie);
      if (before.status !== 200) throw new Error(`--compare=${opts.compare}: /messages answered ${before.status}`);
      log(`/messages of ${opts.compare}: ${before.body.length} B`);
    }
  } else {
    log(`/messages answers ${probe.status}: the feed page does not exist yet, target 5 skipped`);
  }

  // Many users: every request carries another user's session, each user coming back only every
  // users/rps seconds, as page views of real visitors do (longer than a per-user TTL cache).
  const manyUsers: Record<string, string>[] = [];
  if (opts.users > 0) {
    for (const userCookie of await manyUserCookies(stack, cookie, opts.users)) manyUsers.push({ cookie: userCookie });
    // Every token verified once, so the runs measure the per-request path of known tokens.
    await load({
      url: `${app.url}${opts.page}`,
      connections: opts.connections,
      durationMs: 60_000,
      maxRequests: manyUsers.length,
      cycle: manyUsers,
    });
    const sample = await get(`${app.url}${opts.page}`, manyUsers[1] ?? {});
    if (!signedIn(sample.body) || sample.setCookies.length)
      throw new Error("many users: a bench user is not signed in, or got new cookies");
    log(`many users: ${manyUsers.length} sessions primed`);
  }

  const generator = opts.wrk ? wrkLoad : load;
  type Variant =
    | "off"
    | "ours"
    | "ours, many users"
    | "no-cookie"
    | "naive"
    | "messages"
    | "messages (compared build)"
    | "ours (unpatched build)"
    | "static";
  const pid = app.process.pid ?? 0;
  const targets: Record<
    Variant,
    { url: string; headers: Record<string, string>; pid: number; cycle?: Record<string, string>[] }
  > = {
    off: { url: `${app.url}${opts.page}`, headers: mode("off"), pid },
    ours: { url: `${app.url}${opts.page}`, headers: withCookie, pid },
    "ours, many users": { url: `${app.url}${opts.page}`, headers: {}, pid, cycle: manyUsers },
    "no-cookie": { url: `${app.url}${opts.page}`, headers: {}, pid },
    naive: { url: `${app.url}${opts.page}`, headers: mode("naive"), pid },
    messages: { url: `${app.url}/messages`, headers: withCookie, pid },
    "messages (compared build)": {
      url: `${compared?.url ?? app.url}/messages`,
      headers: withCookie,
      pid: compared?.process.pid ?? pid,
    },
    "ours (unpatched build)": { url: `${pristine.url}${opts.page}`, headers: withCookie, pid: pristine.process.pid ?? 0 },
    static: { url: `${app.url}/favicon.svg`, headers: withCookie, pid },
  };
  const measure = (connections: number, seconds: number) => async (variant: Variant, warmup: boolean) => {
    const target = targets[variant];
    const result = await generator({
      url: target.url,
      headers: target.headers,
      pid: target.pid,
      ...(target.cycle ? { cycle: target.cycle } : {}),
      connections,
      durationMs: (warmup ? opts.warmup : seconds) * 1000,
    });
    if (result.errors) throw new Error(`${variant}: ${result.errors} failed requests`);
    log(`${warmup ? "warm-up " : ""}${variant} x${connections}: ${describe(result)}`);
    return result;
  };

  // Throughput, N connections.
  const withUsers = manyUsers.length ? (["ours, many users"] as const) : [];
  const many: Variant[] = [
    "off",
    "ours",
    ...withUsers,
    "no-cookie",
    "naive",
    ...(messagesPage ? (["messages"] as const) : []),
    ...(messagesPage && compared ? (["messages (compared build)"] as const) : []),
    "ours (unpatched build)",
    "static",
  ];
  const throughput = await alternate(many, opts.rounds, measure(opts.connections, opts.duration));
  const rps = (variant: Variant) => median(throughput[variant].map((result: LoadResult) => result.rps));
  const cpu = (variant: Variant) => median(throughput[variant].map((result: LoadResult) => result.cpuPerRequest));

  // Latency, one connection.
  const single: Variant[] = ["off", "ours", ...withUsers, "no-cookie", "naive"];
  const latency = await alternate(single, opts.rounds, measure(1, opts.oneDuration));
  const p50 = (variant: Variant) => median(latency[variant].map((result: LoadResult) => result.p50));
  const mean = (variant: Variant) => median(latency[variant].map((result: LoadResult) => result.mean));
  const cpu1 = (variant: Variant) => median(latency[variant].map((result: LoadResult) => result.cpuPerRequest));

  const how = opts.wrk ? "wrk" : "node:http load generator";
  const series = (runs: Record<Variant, LoadResult[]>, variant: Variant, key: "rps" | "cpuPerRequest") =>
    runs[variant].map((result) => result[key]);
  // Ratio = median of the per-round ratios (each pair measured in the same round).
  const rpsRatio = (variant: Variant, baseline: Variant) =>
    pairedRatio(series(throughput, variant, "rps"), series(throughput, baseline, "rps"));
  const cpuRatio = (variant: Variant, baseline: Variant) =>
    pairedRatio(series(throughput, baseline, "cpuPerRequest"), series(throughput, variant, "cpuPerRequest"));
  const line = (name: string, variant: Variant, baseline: Variant, target?: { text: string; min: number }) => {
    const ratio = rpsRatio(variant, baseline);
    report({
      name,
      baselineLabel: baseline,
      baseline: rps(baseline),
      ours: rps(variant),
      unit: "req/s",
      ratio: ratio.median,
      range: [ratio.min, ratio.max],
      ...(target ? { target: target.text, met: ratio.median >= target.min } : {}),
    });
    const cpuRatios = cpuRatio(variant, baseline);
    report({
      name: "   same, as app CPU per request (ratio = baseline/ours)",
      baselineLabel: baseline,
      baseline: cpu(baseline),
      ours: cpu(variant),
      unit: "µs",
      ratio: cpuRatios.median,
      range: [cpuRatios.min, cpuRatios.max],
    });
  };
  console.log(
    `\nSSR ${opts.page}: ${opts.connections} connections, ${opts.rounds} x ${opts.duration} s per variant, shuffled rounds, medians (${how})`,
  );
  console.log(
    `(generator ceiling: static /favicon.svg ${rps("static").toFixed(0)} req/s; CPU = app process user+system time per request)`,
  );
  line("T1 SSR req/s, valid session vs middleware off", "ours", "off", { text: ">= 0.90", min: 0.9 });
  if (manyUsers.length)
    line(
      `   ${manyUsers.length} users in turn (each back every ~${(manyUsers.length / rps("ours, many users")).toFixed(0)} s) vs off`,
      "ours, many users",
      "off",
    );
  line("   SSR req/s, valid session vs no cookie", "ours", "no-cookie");
  line("   anchor: naive middleware vs middleware off", "naive", "off");
  line("   control: unpatched build vs switch build (both ours)", "ours (unpatched build)", "ours");
  const overhead = p50("ours") - p50("off");
  const p50s = (variant: Variant) => latency[variant].map((result) => result.p50);
  const deltas = p50s("ours").map((value, index) => value - (p50s("off")[index] ?? NaN));
  console.log(`\nOne connection, ${opts.rounds} x ${opts.oneDuration} s per variant, shuffled rounds, medians:`);
  report({
    name: "T1 one-connection p50 latency, valid session vs off",
    baselineLabel: "off",
    baseline: p50("off"),
    ours: p50("ours"),
    unit: "ms",
    target: "overhead <= 0.15 ms",
    met: overhead <= 0.15,
  });
  console.log(`   per-round p50 overhead (ms): ${deltas.map((delta) => delta.toFixed(3)).join(" ")}`);
  for (const variant of ["ours", ...withUsers, "no-cookie", "naive"] as const) {
    console.log(
      `   overhead vs off, ${variant}: p50 ${(p50(variant) - p50("off")).toFixed(3)} ms, mean ${(mean(variant) - mean("off")).toFixed(3)} ms, CPU ${((cpu1(variant) - cpu1("off")) / 1000).toFixed(3)} ms`,
    );
  }
  if (messagesPage) {
    console.log("");
    const bare = rpsRatio("messages", "off");
    report({
      name: `T5 /messages (${opts.messages} messages) req/s beside the bare page ${opts.page}`,
      baselineLabel: `${opts.page}, middleware off`,
      baseline: rps("off"),
      ours: rps("messages"),
      unit: "req/s",
      ratio: bare.median,
      range: [bare.min, bare.max],
    });
    const same = rpsRatio("messages", "ours");
    report({
      name: `   /messages req/s vs ${opts.page} with the same session`,
      baselineLabel: `${opts.page}, ours`,
      baseline: rps("ours"),
      ours: rps("messages"),
      unit: "req/s",
      ratio: same.median,
      range: [same.min, same.max],
    });
    // Paired per round, as the other ratios; the target is at most 2x the bare page.
    const overBare = (variant: Variant) =>
      pairedRatio(series(throughput, variant, "cpuPerRequest"), series(throughput, "off", "cpuPerRequest"));
    const cpuOverBare = overBare("messages");
    report({
      name: "   /messages app CPU per request vs the bare page (ratio = /messages / bare)",
      baselineLabel: `${opts.page}, middleware off`,
      baseline: cpu("off"),
      ours: cpu("messages"),
      unit: "µs",
      ratio: cpuOverBare.median,
      range: [cpuOverBare.min, cpuOverBare.max],
      target: "<= 2.00",
      met: cpuOverBare.median <= 2,
    });
    if (compared) {
      const before = overBare("messages (compared build)");
      report({
        name: `   same for the build of ${opts.compare} (ratio = its /messages / bare)`,
        baselineLabel: `${opts.page}, middleware off`,
        baseline: cpu("off"),
        ours: cpu("messages (compared build)"),
        unit: "µs",
        ratio: before.median,
        range: [before.min, before.max],
      });
      const change = cpuRatio("messages", "messages (compared build)");
      report({
        name: `   /messages app CPU per request, ${opts.compare} vs this build (ratio = ${opts.compare} / this)`,
        baselineLabel: opts.compare,
        baseline: cpu("messages (compared build)"),
        ours: cpu("messages"),
        unit: "µs",
        ratio: change.median,
        range: [change.min, change.max],
      });
    }
  } else {
    console.log("T5 /messages: page not present (404), not measured");
  }
});
