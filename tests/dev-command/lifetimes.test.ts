/**
 * `npm run dev` as a terminal, an IDE and a process manager run it: every way of stopping it ends
 * everything it started (processes, ports, postmaster.pid), an app crash leaves the backend and
 * its data up, and a stack started by `local-supabase start` outlives it. Real npm, the real
 * supervisor, `vinxi dev` and the local Supabase, on a copy of supabase/ with ports of its own.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "local-supabase/testing";
import { projectRoot } from "../setup/app-server.ts";

const run = promisify(execFile);
const READY_TIMEOUT_MS = 180_000;
const GONE_TIMEOUT_MS = 90_000;
const localSupabaseCli = join(projectRoot, "packages/local-supabase/bin/local-supabase.js");
/** As npm run dev runs it: from the package's sources, not a dist/ that may lag behind (ADR 0048). */
const fromSources = ["--conditions=local-supabase-source", "--import", "tsx"];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  log?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000} s${log ? `; its output:\n${log()}` : ""}`);
    await sleep(200);
  }
}

interface ProcInfo {
  pid: number;
  parent: number;
  state: string;
  cmd: string;
}

function proc(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const [state, parent] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
    return { pid, parent: Number(parent), state: state ?? "", cmd };
  } catch {
    return undefined;
  }
}

/** A zombie has ended; it only waits for whoever adopted it to collect it. */
const alive = (pid: number) => {
  const info = proc(pid);
  return info !== undefined && info.state !== "Z";
};

function descendants(root: number): ProcInfo[] {
  const all = readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map((name) => proc(Number(name)))
    .filter((info): info is ProcInfo => info !== undefined);
  const found: ProcInfo[] = [];
  const queue = [root];
  while (queue.length) {
    const parent = queue.shift();
    for (const info of all.filter((candidate) => candidate.parent === parent)) {
      found.push(info);
      queue.push(info.pid);
    }
  }
  return found;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function address(hex: string): string {
  const bytes = (hex.match(/../g) ?? []).map((pair) => Number.parseInt(pair, 16));
  // Each 32-bit word is in host (little-endian) order.
  const ordered = bytes.flatMap((_, i) => (i % 4 === 0 ? bytes.slice(i, i + 4).reverse() : []));
  if (ordered.length === 4) return ordered.join(".");
  if (ordered.every((byte) => byte === 0)) return "::";
  if (ordered.every((byte, i) => byte === (i === 15 ? 1 : 0))) return "::1";
  return ordered.map((byte) => byte.toString(16)).join(":");
}

/** Every TCP port the processes listen on, with its address: from their socket inodes and /proc/net/tcp{,6}. */
function listeningSockets(pids: number[]): { port: number; address: string }[] {
  const inodes = new Set<string>();
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        if (inode) inodes.add(inode);
      } catch {
        // closed meanwhile
      }
    }
  }
  const sockets: { port: number; address: string }[] = [];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(file, "utf8").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [hex, portHex] = (fields[1] ?? "").split(":");
      if (fields[3] !== "0A" || !hex || !portHex || !inodes.has(fields[9] ?? "")) continue;
      sockets.push({ port: Number.parseInt(portHex, 16), address: address(hex) });
    }
  }
  return sockets;
}

/** A copy of the project's supabase/ folder whose stack listens on ports of its own. */
async function projectCopy(): Promise<{ workdir: string; ports: { api: number; db: number; mail: number } }> {
  const workdir = mkdtempSync(join(tmpdir(), "dev-command-"));
  cpSync(join(projectRoot, "supabase"), join(workdir, "supabase"), { recursive: true });
  const ports = { api: await freePort(), db: await freePort(), mail: await freePort() };
  const toml = join(workdir, "supabase", "config.toml");
  const portOf: Record<string, number> = { api: ports.api, db: ports.db, inbucket: ports.mail };
  let section = "";
  const lines = readFileSync(toml, "utf8")
    .split("\n")
    .map((line) => {
      section = /^\[([^\]]+)\]/.exec(line)?.[1] ?? section;
      return section in portOf && /^port\s*=/.test(line) ? `port = ${portOf[section]}` : line;
    });
  writeFileSync(toml, lines.join("\n"));
  return { workdir, ports };
}

interface DevRun {
  /** `npm run dev` itself, or the shell that started it (`viaShell`). */
  child: ChildProcess;
  npm: number;
  supervisor: ProcInfo;
  app: ProcInfo;
  /** The local Supabase's process, when this run started it. */
  serve?: ProcInfo;
  postmaster: number;
  log: () => string;
}

describe.runIf(process.platform === "linux")("npm run dev: lifetimes", () => {
  let workdir = "";
  let ports = { api: 0, db: 0, mail: 0 };
  const stateDir = () => join(workdir, ".cache", "local-supabase");
  const postmasterPidFile = () => join(stateDir(), "pgdata", "postmaster.pid");
  const stackFile = () => join(stateDir(), "stack.json");
  let appPort = 0;

  beforeAll(async () => {
    ({ workdir, ports } = await projectCopy());
  });

  afterAll(async () => {
    await run(process.execPath, [...fromSources, localSupabaseCli, "stop", "--workdir", workdir]).catch(() => undefined);
    rmSync(workdir, { recursive: true, force: true });
  });

  const env = () => ({
    ...process.env,
    SUPABASE_BACKEND: "embedded",
    SUPABASE_WORKDIR: workdir,
    PORT: String(appPort),
    NODE_ENV: "development",
  });

  /** Whatever a failed test left running is ended, so the next one starts clean. */
  const started: number[] = [];
  afterEach(async () => {
    const leftovers = started.splice(0).flatMap((pid) => [pid, ...descendants(pid).map((info) => info.pid)]);
    for (const pid of leftovers) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    await run(process.execPath, [...fromSources, localSupabaseCli, "stop", "--workdir", workdir]).catch(() => undefined);
  });

  /** `npm run dev` (its own process group); `viaShell` puts a shell between this test and npm. */
  function spawnDev(viaShell: boolean): { child: ChildProcess; log: () => string } {
    const child = viaShell
      ? spawn("sh", ["-c", "npm run dev; echo npm ended"], {
          cwd: projectRoot,
          env: env(),
          detached: true,
          stdio: ["ignore", "pipe", "pipe"],
        })
      : spawn("npm", ["run", "dev"], { cwd: projectRoot, env: env(), detached: true, stdio: ["ignore", "pipe", "pipe"] });
    if (child.pid) started.push(child.pid);
    let output = "";
    child.stdout?.on("data", (chunk) => (output += chunk));
    child.stderr?.on("data", (chunk) => (output += chunk));
    return { child, log: () => output };
  }

  /** `npm run dev` until the app answers. */
  async function startDev(viaShell = false): Promise<DevRun> {
    appPort = await freePort();
    const { child, log } = spawnDev(viaShell);
    // The port counts only once this tree listens on it: other suites running beside this one probe
    // and open ports of their own, and one of them may briefly hold the number freePort gave here.
    const ownsAppPort = () =>
      listeningSockets(descendants(child.pid ?? -1).map((info) => info.pid)).some((socket) => socket.port === appPort);
    await eventually(
      "the app answers",
      async () => child.exitCode === null && ownsAppPort() && (await listening(appPort)),
      READY_TIMEOUT_MS,
      log,
    );
    const tree = descendants(child.pid ?? -1);
    const find = (pattern: RegExp) => tree.find((info) => pattern.test(info.cmd));
    const npm = viaShell ? find(/^npm run dev/)?.pid : child.pid;
    const supervisor = find(/scripts\/dev\.ts/);
    const app = find(/vinxi\/bin\/cli\.mjs dev/);
    expect(npm, log()).toBeDefined();
    expect(supervisor, log()).toBeDefined();
    expect(app, log()).toBeDefined();
    const postmaster = Number(readFileSync(postmasterPidFile(), "utf8").split("\n")[0]);
    // Nothing of it is reachable from another machine (the app, the backend, Postgres and every
    // port the dev server opens for itself), and its secrets are the developer's alone.
    const stackPid = (JSON.parse(readFileSync(stackFile(), "utf8")) as { pid: number }).pid;
    const sockets = listeningSockets([...tree.map((info) => info.pid), stackPid, postmaster]);
    for (const port of [appPort, ports.api, ports.db, ports.mail]) {
      expect(
        sockets.map((socket) => socket.port),
        `port ${port} listens`,
      ).toContain(port);
    }
    for (const socket of sockets) expect(["127.0.0.1", "::1"], `port ${socket.port}`).toContain(socket.address);
    for (const file of [
      stackFile(),
      join(stateDir(), "auth-keys.json"),
      join(workdir, ".cache", "app.env"),
      join(workdir, ".cache", "rls-client-password"),
    ]) {
      expect(statSync(file).mode & 0o077, file).toBe(0);
    }
    return {
      child,
      npm: npm ?? -1,
      supervisor: supervisor as ProcInfo,
      app: app as ProcInfo,
      serve: find(/local-supabase\.js serve/),
      postmaster,
      log,
    };
  }

  async function expectEverythingGone(dev: DevRun, pids: number[]): Promise<void> {
    await eventually(
      "every process npm run dev started has ended",
      () => pids.every((pid) => !alive(pid)) || undefined,
      GONE_TIMEOUT_MS,
      () =>
        `${dev.log()}\nstill alive: ${pids
          .filter(alive)
          .map((pid) => proc(pid)?.cmd)
          .join("; ")}`,
    );
    for (const port of [appPort, ports.api, ports.db, ports.mail]) expect(await listening(port), `port ${port}`).toBe(false);
    expect(existsSync(postmasterPidFile()), "postmaster.pid").toBe(false);
    expect(existsSync(stackFile()), "stack.json").toBe(false);
  }

  function allPids(dev: DevRun): number[] {
    const group = descendants(dev.app.pid).map((info) => info.pid);
    return [dev.npm, dev.supervisor.pid, dev.app.pid, ...group, dev.serve?.pid ?? -1, dev.postmaster].filter((pid) => pid > 0);
  }

  it.each([
    ["Ctrl-C in the terminal (SIGINT to its process group)", (dev: DevRun) => process.kill(-(dev.child.pid ?? 0), "SIGINT")],
    ["SIGTERM to npm, as an IDE stops a task", (dev: DevRun) => process.kill(dev.npm, "SIGTERM")],
    ["SIGHUP to the supervisor (its terminal closed)", (dev: DevRun) => process.kill(dev.supervisor.pid, "SIGHUP")],
    ["SIGTERM to the app's dev server", (dev: DevRun) => process.kill(dev.app.pid, "SIGTERM")],
    ["SIGINT to the local Supabase", (dev: DevRun) => process.kill(dev.serve?.pid ?? 0, "SIGINT")],
  ])("%s stops everything it started", async (_how, stop) => {
    const dev = await startDev();
    expect(dev.serve, dev.log()).toBeDefined();
    const pids = allPids(dev);
    stop(dev);
    await expectEverythingGone(dev, pids);
    expect(dev.log()).toContain("npm run dev: stopping");
  });

  it("stops everything when the process that ran npm run dev is killed outright", async () => {
    const dev = await startDev(true);
    const pids = allPids(dev);
    process.kill(dev.child.pid ?? 0, "SIGKILL");
    await expectEverythingGone(dev, pids);
  });

  it.each([
    ["Ctrl-C", false, (child: ChildProcess): void => void process.kill(-(child.pid ?? 0), "SIGINT")],
    ["its parent killed outright", true, (child: ChildProcess): void => void process.kill(child.pid ?? 0, "SIGKILL")],
  ] as const)("%s while the local Supabase is still starting stops everything too", async (_how, viaShell, stop) => {
    appPort = await freePort();
    const { child, log } = spawnDev(viaShell);
    const serve = await eventually(
      "the local Supabase's process appears",
      () => descendants(child.pid ?? -1).find((info) => /local-supabase\.js serve/.test(info.cmd)),
      READY_TIMEOUT_MS,
      log,
    );
    const supervisor = descendants(child.pid ?? -1).find((info) => /scripts\/dev\.ts/.test(info.cmd));
    stop(child);
    const pids = [serve.pid, supervisor?.pid ?? -1].filter((pid) => pid > 0);
    await eventually(
      "npm run dev and its backend have ended",
      () => pids.every((pid) => !alive(pid)) || undefined,
      READY_TIMEOUT_MS,
      log,
    );
    // Whatever it had started by then (Postgres, the API) went with it.
    for (const port of [appPort, ports.api, ports.db, ports.mail]) expect(await listening(port), `port ${port}`).toBe(false);
    expect(existsSync(postmasterPidFile()), "postmaster.pid").toBe(false);
    expect(existsSync(stackFile()), "stack.json").toBe(false);
  });

  it("a stale stack.json naming another process's pid is neither trusted nor signalled", async () => {
    const bystander = spawn("sleep", ["300"], { detached: true, stdio: "ignore" });
    try {
      mkdirSync(stateDir(), { recursive: true });
      writeFileSync(stackFile(), JSON.stringify({ state: "ready", pid: bystander.pid, apiUrl: "http://127.0.0.1:1" }));
      const { stdout: status } = await run(process.execPath, [...fromSources, localSupabaseCli, "status", "--workdir", workdir]);
      expect(status).toMatch(/API URL: \S+ {2}\[stopped\]/);
      await run(process.execPath, [...fromSources, localSupabaseCli, "stop", "--workdir", workdir]);
      expect(alive(bystander.pid ?? -1), "the bystander").toBe(true);
      const dev = await startDev();
      expect(dev.serve, "npm run dev starts a stack of its own").toBeDefined();
      process.kill(dev.npm, "SIGTERM");
      await expectEverythingGone(dev, allPids(dev));
      expect(alive(bystander.pid ?? -1), "the bystander").toBe(true);
    } finally {
      bystander.kill("SIGKILL");
    }
  });

  it("an app crash restarts the app and leaves the backend it uses, data included; a stack from local-supabase start outlives npm run dev", async () => {
    await run(process.execPath, [...fromSources, localSupabaseCli, "start", "--workdir", workdir], { cwd: projectRoot });
    const stack = JSON.parse(readFileSync(stackFile(), "utf8")) as { pid: number; apiUrl: string };
    const marker = `crash-${Date.now()}`;
    const admin = `postgresql://postgres:postgres@127.0.0.1:${ports.db}/postgres`;
    const { default: postgres } = await import("postgres");
    const sql = postgres(admin, { max: 1, onnotice: () => undefined });
    try {
      await sql`create table if not exists public.dev_command_marker (value text)`;
      await sql`insert into public.dev_command_marker values (${marker})`;

      const dev = await startDev();
      expect(dev.serve, "no second backend when one runs").toBeUndefined();
      expect(dev.log()).toContain("already running");
      process.kill(dev.app.pid, "SIGKILL");
      const restarted = await eventually(
        "a new app process answers",
        async () => {
          const app = descendants(dev.supervisor.pid).find(
            (info) => /vinxi\/bin\/cli\.mjs dev/.test(info.cmd) && info.pid !== dev.app.pid,
          );
          return app && (await listening(appPort)) ? app : undefined;
        },
        READY_TIMEOUT_MS,
        dev.log,
      );
      expect(dev.log()).toContain("restarting the app");
      expect(alive(stack.pid)).toBe(true);
      expect(alive(dev.postmaster)).toBe(true);

      process.kill(dev.npm, "SIGTERM");
      await eventually(
        "npm run dev has ended",
        () => [dev.npm, dev.supervisor.pid, restarted.pid].every((pid) => !alive(pid)) || undefined,
        GONE_TIMEOUT_MS,
        dev.log,
      );
      expect(await listening(appPort)).toBe(false);
      expect(alive(stack.pid), "the stack local-supabase start runs").toBe(true);
      const rows = await sql<{ value: string }[]>`select value from public.dev_command_marker where value = ${marker}`;
      expect(rows).toHaveLength(1);
    } finally {
      await sql.end();
    }

    const { stdout: status } = await run(process.execPath, [...fromSources, localSupabaseCli, "status", "--workdir", workdir], {
      cwd: projectRoot,
    });
    expect(status).toContain(`running, pid ${stack.pid}`);

    // Stopped under a running `npm run dev`: the stack goes, and the command says how to get it back.
    const dev = await startDev();
    await run(process.execPath, [...fromSources, localSupabaseCli, "stop", "--workdir", workdir], { cwd: projectRoot });
    expect(alive(stack.pid)).toBe(false);
    for (const port of [ports.api, ports.db, ports.mail]) expect(await listening(port), `port ${port}`).toBe(false);
    expect(existsSync(postmasterPidFile())).toBe(false);
    await eventually(
      "npm run dev says the backend stopped",
      () => dev.log().includes("`npm run db:start` starts it again") || undefined,
      GONE_TIMEOUT_MS,
      dev.log,
    );
    process.kill(dev.npm, "SIGTERM");
    await expectEverythingGone(dev, allPids(dev));
  });
});
