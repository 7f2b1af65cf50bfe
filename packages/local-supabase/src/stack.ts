import { spawn } from "node:child_process";
import { existsSync, openSync, closeSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
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
}

export const STACK_FILE_NAME = "stack.json";
export const STACK_LOG_NAME = "stack.log";

const CLI = fileURLToPath(new URL("../bin/local-supabase.js", import.meta.url));
const POLL_MS = 200;

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface StackLocation {
  workdir?: string;
  dataDir?: string;
}

function stackFile(location: StackLocation): string {
  return join(projectPaths(location.workdir, location.dataDir).dataDir, STACK_FILE_NAME);
}

/** The stack `local-supabase start` (or `serve`) runs for this project, if its process is alive. */
export async function findRunningStack(location: StackLocation = {}): Promise<RunningStack | undefined> {
  const file = stackFile(location);
  if (!existsSync(file)) return undefined;
  let stack: RunningStack;
  try {
    stack = JSON.parse(await readFile(file, "utf8")) as RunningStack;
  } catch {
    return undefined;
  }
  return Number.isInteger(stack.pid) && isAlive(stack.pid) ? stack : undefined;
}

export async function writeStackFile(location: StackLocation, stack: RunningStack): Promise<void> {
  await writeFile(stackFile(location), JSON.stringify(stack, null, 2), { mode: 0o600 });
}

/** Removes the file only while it still names `pid`: a newer stack's file stays. */
export async function removeStackFile(location: StackLocation, pid: number): Promise<void> {
  const file = stackFile(location);
  try {
    const stack = JSON.parse(await readFile(file, "utf8")) as RunningStack;
    if (stack.pid !== pid) return;
  } catch {
    // unreadable or gone: nothing of ours to keep
  }
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
  const args = [CLI, "serve"];
  if (options.workdir) args.push("--workdir", options.workdir);
  if (options.dataDir) args.push("--data-dir", options.dataDir);
  if (options.stopWith) args.push("--stop-with", String(options.stopWith));
  const log = options.stdio === "pipe" ? undefined : openSync(options.stdio.logFile, "a");
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

/** SIGTERM to the stack's process, then waits for it (and the Postgres it stops) to be gone. */
export async function stopStack(stack: RunningStack, timeoutMs = 60_000): Promise<void> {
  try {
    process.kill(stack.pid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (isAlive(stack.pid)) {
    if (Date.now() > deadline) throw new Error(`the local Supabase (pid ${stack.pid}) did not stop within ${timeoutMs / 1000} s`);
    await sleep(POLL_MS);
  }
}
