import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { projectPaths } from "./config.ts";

/**
 * What a running `local-supabase serve` (the whole stack in one process) leaves in the state
 * folder, so that `status`, `stop` and other processes (a project's dev command) find it.
 */
export interface RunningStack {
  pid: number;
  apiUrl: string;
  authUrl: string;
  realtimeUrl: string;
  mailboxUrl: string;
  dbUrl: string;
  publishableKey: string;
  secretKey: string;
  /** The process this stack stops with (`serve --stop-with`): a dev command that owns it. */
  stopWith?: number;
}

/** The claim a `serve` process writes before it starts anything, then replaces with its stack. */
export type StackEntry = { state: "starting"; pid: number; stopWith?: number } | ({ state: "ready" } & RunningStack);

export const STACK_FILE_NAME = "stack.json";
export const STACK_LOG_NAME = "stack.log";

const CLI = fileURLToPath(new URL("../bin/local-supabase.js", import.meta.url));
/**
 * This module runs as TypeScript only inside the package's own workspace (ADR 0048): there a `serve`
 * it starts must run the same sources, not a dist/ that may lag behind the edits.
 */
const RUN_SOURCES = import.meta.url.endsWith(".ts") ? ["--conditions=local-supabase-source", "--import", "tsx"] : [];
const POLL_MS = 200;
/** A stack still starting (initdb, every migration) stops once it is up. */
const START_OR_STOP_TIMEOUT_MS = 180_000;

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * True when `pid` is a live `local-supabase serve`. A pid in a stale stack.json (after a reboot,
 * an OOM kill, a container restart) may belong to any process by now: never signal it unchecked.
 * Where /proc is missing, a live pid is all there is to go on.
 */
export function isServeProcess(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return false;
  let args: string[];
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return !existsSync("/proc/self");
  }
  const cli = args.findIndex((arg) => /(^|\/)local-supabase(\.js)?$/.test(arg));
  return cli !== -1 && args[cli + 1] === "serve";
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface StackLocation {
  workdir?: string;
  dataDir?: string;
}

function stackFile(location: StackLocation): string {
  return join(projectPaths(location.workdir, location.dataDir).dataDir, STACK_FILE_NAME);
}

async function readEntry(file: string): Promise<StackEntry | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as StackEntry;
  } catch {
    return undefined;
  }
}

/** The stack's process for this project, starting or ready, if it is really alive. */
export async function findStackProcess(location: StackLocation = {}): Promise<StackEntry | undefined> {
  const entry = await readEntry(stackFile(location));
  return entry && isServeProcess(entry.pid) ? entry : undefined;
}

/** The stack `local-supabase start` (or `serve`) runs for this project, once it is ready. */
export async function findRunningStack(location: StackLocation = {}): Promise<RunningStack | undefined> {
  const entry = await findStackProcess(location);
  return entry?.state === "ready" ? entry : undefined;
}

/**
 * Claims the project's stack for this process before anything starts, so a second `serve` (or
 * `start`) refuses at once and `stop` can reach one that is still starting. A claim left by a
 * process that is gone is taken over.
 */
export async function claimStack(location: StackLocation, stopWith: number | undefined): Promise<void> {
  const file = stackFile(location);
  await mkdir(dirname(file), { recursive: true });
  const claim: StackEntry = { state: "starting", pid: process.pid, stopWith };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, JSON.stringify(claim), { flag: "wx", mode: 0o600 });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = await readEntry(file);
    if (holder && isServeProcess(holder.pid)) {
      throw new Error(`The local Supabase already runs (pid ${holder.pid}); \`local-supabase stop\` stops it.`);
    }
    await rm(file, { force: true });
  }
  throw new Error(`${file}: another local Supabase is claiming it at the same time`);
}

/** Publishes the ready stack; written beside and renamed, so no reader sees half a file. */
export async function writeStackFile(location: StackLocation, stack: RunningStack): Promise<void> {
  const file = stackFile(location);
  const entry: StackEntry = { state: "ready", ...stack };
  await writeFile(`${file}.${process.pid}`, JSON.stringify(entry, null, 2), { mode: 0o600 });
  await rename(`${file}.${process.pid}`, file);
}

/** Removes the file only while it still names `pid`: a newer stack's file stays. */
export async function removeStackFile(location: StackLocation, pid: number): Promise<void> {
  const file = stackFile(location);
  const entry = await readEntry(file);
  if (entry && entry.pid !== pid) return;
  await rm(file, { force: true });
}

export interface ServeProcessOptions extends StackLocation {
  /** `serve` stops itself when this process ends (a dev command that was killed outright). */
  stopWith?: number;
  /** Where its output goes: a log file (the background case) or pipes the caller reads. */
  stdio: "pipe" | { logFile: string };
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts `local-supabase serve` as a process of its own (its own process group, so a Ctrl-C
 * meant for the caller's terminal does not reach it; the caller decides the order things stop).
 */
export function spawnServe(options: ServeProcessOptions) {
  const args = [...RUN_SOURCES, CLI, "serve"];
  if (options.workdir) args.push("--workdir", options.workdir);
  if (options.dataDir) args.push("--data-dir", options.dataDir);
  if (options.stopWith) args.push("--stop-with", String(options.stopWith));
  // The log holds addresses that signed up and error details: the developer's alone.
  const log = options.stdio === "pipe" ? undefined : openSync(options.stdio.logFile, "a", 0o600);
  try {
    return spawn(process.execPath, args, {
      env: options.env ?? process.env,
      detached: true,
      stdio: log === undefined ? ["ignore", "pipe", "pipe"] : ["ignore", log, log],
    });
  } finally {
    if (log !== undefined) closeSync(log);
  }
}

/**
 * Waits until the `serve` process `pid` has published its stack, or fails when it exits first.
 * `exited` tells whether it is gone (a child's exit code, or a liveness probe).
 */
export async function waitForStack(
  location: StackLocation,
  pid: number,
  exited: () => boolean,
  timeoutMs: number,
): Promise<RunningStack> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const stack = await findRunningStack(location);
    if (stack?.pid === pid) return stack;
    if (exited()) throw new Error("the local Supabase exited while starting");
    await sleep(POLL_MS);
  }
  throw new Error(`the local Supabase did not start within ${Math.round(timeoutMs / 1000)} s`);
}

/** SIGTERM to the stack's process (checked to be one), then waits for it and its Postgres to be gone. */
export async function stopStack(stack: { pid: number }, timeoutMs = START_OR_STOP_TIMEOUT_MS): Promise<void> {
  if (!isServeProcess(stack.pid)) return;
  process.kill(stack.pid, "SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (isAlive(stack.pid)) {
    if (Date.now() > deadline) throw new Error(`the local Supabase (pid ${stack.pid}) did not stop within ${timeoutMs / 1000} s`);
    await sleep(POLL_MS);
  }
}
