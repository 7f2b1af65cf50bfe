/**
 * Where the app's CPU goes while it serves one page: builds the app, runs it under
 * `node --cpu-prof`, loads the page with bob's session (50 messages in the feed, as ssr.ts's T5),
 * stops it and prints the functions with the most self time and the packages/app files they are in.
 *
 *   npx tsx bench/ssr-profile.ts [--page=/messages] [--duration=10] [--connections=8] [--top=30] [--out=<dir>]
 *
 * The .cpuprofile and the page's HTML (page.html) stay in --out (default: a temp dir, printed) for Chrome DevTools or speedscope.
 */
import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { get, insertBenchMessages, signIn, startApp } from "./support/app.ts";
import { buildApp } from "./support/build.ts";
import { load } from "./support/load.ts";
import { log, main, options } from "./support/run.ts";
import { startStack } from "./support/stack.ts";

const opts = options({ page: "/messages", duration: 10, connections: 8, top: 30, out: "", messages: 50 });

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** node_modules/<package> or the app's own file, from a script URL of the build. */
function where(url: string): string {
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) {
    const [scope = "", name = ""] = url.slice(modules + "node_modules/".length).split("/");
    return scope.startsWith("@") ? `${scope}/${name}` : scope;
  }
  if (url.startsWith("node:") || url === "") return url || "(native)";
  const output = url.indexOf(".output/");
  return output >= 0 ? url.slice(output) : url;
}

await main(600, async () => {
  const stack = await startStack(1);
  const dir = await buildApp({ label: "profile" });
  const out = opts.out || (await mkdtemp(join(tmpdir(), "ssr-profile-")));
  await mkdir(out, { recursive: true });
  const app = await startApp(stack, dir, stack.appPorts[0] ?? 0, { NODE_FLAGS: `--cpu-prof --cpu-prof-dir=${out}` });
  const cookie = await signIn(app.url);
  await insertBenchMessages(stack.adminUrl, opts.messages);
  const check = await get(`${app.url}${opts.page}`, { cookie });
  if (check.status !== 200) throw new Error(`${opts.page} answered ${check.status}`);
  await writeFile(join(out, "page.html"), check.body);
  await load({ url: `${app.url}${opts.page}`, headers: { cookie }, connections: opts.connections, durationMs: 3_000 });
  const result = await load({
    url: `${app.url}${opts.page}`,
    headers: { cookie },
    pid: app.process.pid ?? 0,
    connections: opts.connections,
    durationMs: opts.duration * 1000,
  });
  log(`${opts.page}: ${result.rps.toFixed(0)} req/s, ${result.cpuPerRequest.toFixed(0)} µs CPU/req, ${result.errors} errors`);
  await app.stop();
  const file = (await readdir(out)).find((name) => name.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no .cpuprofile in ${out}: the app did not exit cleanly`);
  const profile = JSON.parse(await readFile(join(out, file), "utf8")) as Profile;

  const self = new Map<number, number>();
  profile.samples.forEach((id, index) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const total = [...self.values()].reduce((sum, value) => sum + value, 0);
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  for (const node of profile.nodes) {
    const time = self.get(node.id) ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = `${functionName || "(anonymous)"} ${where(url)}:${lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + time);
    byPlace.set(where(url), (byPlace.get(where(url)) ?? 0) + time);
  }
  const print = (title: string, entries: Map<string, number>) => {
    console.log(`\n${title}`);
    for (const [name, time] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, opts.top)) {
      console.log(`${((100 * time) / total).toFixed(1).padStart(5)} %  ${name}`);
    }
  };
  console.log(`profile: ${join(out, file)} (${(total / 1e6).toFixed(1)} s sampled, idle included)`);
  print("self time by function", byFunction);
  print("self time by package / file", byPlace);
});
