import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const projectRoot = fileURLToPath(new URL("../..", import.meta.url));

/** How long a starting app server may take to answer its first request. */
const STARTUP_TIMEOUT_MS = 30_000;

export interface AppServer {
  url: string;
  process: ChildProcess;
  /** Everything the server printed so far. */
  log: () => string;
  stop: () => Promise<void>;
}

async function waitForHttp(url: string, app: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (app.exitCode !== null) throw new Error(`the app exited (${app.exitCode}):\n${log()}`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`the app did not answer on ${url}:\n${log()}`);
}

/**
 * One process of the BUILT app (`.output/server/index.mjs`) on a loopback port, with the given
 * environment on top of this process's. Resolves once it serves a static file.
 */
export async function startAppServer(port: number, env: Record<string, string>): Promise<AppServer> {
  let output = "";
  const child = spawn(process.execPath, [join(projectRoot, ".output/server/index.mjs")], {
    cwd: projectRoot,
    env: { ...process.env, NODE_ENV: "production", HOST: "127.0.0.1", PORT: String(port), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const log = () => output;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    await once(child, "exit");
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/favicon.svg`, child, log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, process: child, log, stop };
}
