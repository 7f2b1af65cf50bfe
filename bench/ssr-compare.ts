/**
 * One page's app CPU per request in two builds, side by side: a before/after of a change.
 *
 *   npx tsx bench/ssr-compare.ts --before=<git ref> [--after=worktree|<git ref>] [--page=/messages]
 *                                [--rounds=6] [--duration=3] [--connections=8] [--messages=50]
 *
 * Each build runs in its own process, serving only this page (bob's session, `--messages` bench
 * messages in the feed), against one stack; after a warm-up the rounds alternate between the
 * two in a shuffled order. bench/ssr.ts --compare does the same beside its other variants, but
 * there the "after" build is the switch build serving every mode in one process, whose larger
 * heap and mixed JIT state weigh on the page: a build against a build is compared here.
 */
import { get, insertBenchMessages, signIn, startApp } from "./support/app.ts";
import { buildApp } from "./support/build.ts";
import { load, type LoadResult } from "./support/load.ts";
import { alternate, describe, median, pairedRatio, report } from "./support/report.ts";
import { log, main, options } from "./support/run.ts";
import { startStack } from "./support/stack.ts";

const opts = options({ before: "", after: "worktree", page: "/messages", rounds: 6, duration: 3, connections: 8, messages: 50 });

await main(900, async () => {
  if (!opts.before) throw new Error("--before=<git ref> is required");
  const stack = await startStack(2);
  const builds = {
    before: await buildApp({ label: "before", source: opts.before }),
    after: await buildApp({ label: "after", source: opts.after }),
  };
  const apps = {
    before: await startApp(stack, builds.before, stack.appPorts[0] ?? 0),
    after: await startApp(stack, builds.after, stack.appPorts[1] ?? 0),
  };
  const cookie = await signIn(apps.after.url);
  await insertBenchMessages(stack.adminUrl, opts.messages);
  for (const [name, app, source] of [
    ["before", apps.before, opts.before],
    ["after", apps.after, opts.after],
  ] as const) {
    const page = await get(`${app.url}${opts.page}`, { cookie });
    if (page.status !== 200) throw new Error(`${name}: ${opts.page} answered ${page.status}`);
    log(`${name} (${source}): ${opts.page} ${page.body.length} characters`);
  }
  const runs = await alternate(["before", "after"] as const, opts.rounds, async (name, warmup) => {
    const app = apps[name];
    const result: LoadResult = await load({
      url: `${app.url}${opts.page}`,
      headers: { cookie },
      connections: opts.connections,
      durationMs: (warmup ? 2 : opts.duration) * 1000,
      pid: app.process.pid ?? 0,
    });
    log(`${warmup ? "warm-up " : ""}${name}: ${describe(result)}`);
    return result.cpuPerRequest;
  });
  const ratio = pairedRatio(runs.after, runs.before);
  report({
    name: `${opts.page} app CPU per request, ${opts.after} against ${opts.before} (ratio = after / before)`,
    baselineLabel: opts.before,
    baseline: median(runs.before),
    ours: median(runs.after),
    unit: "µs",
    ratio: ratio.median,
    range: [ratio.min, ratio.max],
  });
});
