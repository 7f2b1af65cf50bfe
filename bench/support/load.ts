/** Shared by the bench/ scripts: a load generator (N keep-alive connections, each sending requests back to back for a fixed time). */
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { children } from "./run.ts";

export interface LoadOptions {
  url: string;
  headers?: Record<string, string>;
  connections: number;
  durationMs: number;
  /** Hard cap on requests (a bound besides time). */
  maxRequests?: number;
  /** The status every response must have (others are counted as errors). */
  expectStatus?: number;
  /** The server's pid: its CPU time per request is measured too (robust on a busy machine). */
  pid?: number;
  /** Per-request extra headers, taken in turn (e.g. one session cookie per simulated user). */
  cycle?: Record<string, string>[];
}

export interface LoadResult {
  requests: number;
  errors: number;
  /** Requests per second over the measured window. */
  rps: number;
  /** Mean / median / 99th percentile latency in ms. */
  mean: number;
  p50: number;
  p99: number;
  bytes: number;
  /** Server CPU (user + system, all threads) per request in µs, when a pid was given. */
  cpuPerRequest: number;
}

export const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After "pid (comm) ", utime and stime are fields 12 and 13 (0-based).
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

export async function load(options: LoadOptions): Promise<LoadResult> {
  const target = new URL(options.url);
  if (target.hostname !== "127.0.0.1") throw new Error("the load generator only targets 127.0.0.1");
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections, maxFreeSockets: options.connections });
  const headers = { ...options.headers, connection: "keep-alive" };
  const expect = options.expectStatus ?? 200;
  const maxRequests = options.maxRequests ?? 5_000_000;
  const latencies: number[] = [];
  let errors = 0;
  let bytes = 0;
  let sent = 0;
  const cpuBefore = options.pid ? cpuSeconds(options.pid) : NaN;
  const start = process.hrtime.bigint();
  const end = start + BigInt(options.durationMs) * 1_000_000n;

  const cycle = options.cycle ?? [];
  const one = () =>
    new Promise<void>((resolve) => {
      const begun = process.hrtime.bigint();
      const extra = cycle.length ? cycle[sent % cycle.length] : undefined;
      const req = httpRequest(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname + target.search,
          method: "GET",
          headers: extra ? { ...headers, ...extra } : headers,
        },
        (res) => {
          res.on("data", (chunk: Buffer) => (bytes += chunk.length));
          res.on("end", () => {
            if (res.statusCode !== expect) errors++;
            latencies.push(Number(process.hrtime.bigint() - begun) / 1e6);
            resolve();
          });
          res.on("error", () => {
            errors++;
            resolve();
          });
        },
      );
      req.on("error", () => {
        errors++;
        resolve();
      });
      req.setTimeout(10_000, () => req.destroy(new Error("timeout")));
      req.end();
    });

  const worker = async () => {
    while (process.hrtime.bigint() < end && sent < maxRequests) {
      sent++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = options.pid ? cpuSeconds(options.pid) - cpuBefore : NaN;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    requests: latencies.length,
    errors,
    rps: latencies.length / elapsed,
    mean: latencies.reduce((sum, value) => sum + value, 0) / Math.max(1, latencies.length),
    p50: at(0.5),
    p99: at(0.99),
    bytes,
    cpuPerRequest: (cpu / Math.max(1, latencies.length)) * 1e6,
  };
}

/** wrk, when installed and asked for (--wrk): requests/s only. Never needed by tests or CI. */
export async function wrkLoad(options: LoadOptions): Promise<LoadResult> {
  if (options.cycle?.length) return load(options);
  const args = ["-t1", `-c${options.connections}`, `-d${Math.max(1, Math.round(options.durationMs / 1000))}s`, "--latency"];
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push("-H", `${name}: ${value}`);
  args.push(options.url);
  const cpuBefore = options.pid ? cpuSeconds(options.pid) : NaN;
  const child = spawn("wrk", args, { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const [code] = (await once(child, "close")) as [number];
  children.delete(child);
  const cpu = options.pid ? cpuSeconds(options.pid) - cpuBefore : NaN;
  if (code !== 0) throw new Error(`wrk failed: ${output}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(output)?.[1] ?? 0);
  const requests = Number(/(\d+) requests in/.exec(output)?.[1]);
  const ms = (text: string | undefined) => {
    const m = /([\d.]+)(us|ms|s)/.exec(text ?? "");
    if (!m?.[1]) return NaN;
    return Number(m[1]) * (m[2] === "us" ? 0.001 : m[2] === "s" ? 1000 : 1);
  };
  return {
    requests,
    errors: non2xx,
    rps,
    mean: ms(/Latency\s+(\S+)/.exec(output)?.[1]),
    p50: ms(/50%\s+(\S+)/.exec(output)?.[1]),
    p99: ms(/99%\s+(\S+)/.exec(output)?.[1]),
    bytes: 0,
    cpuPerRequest: (cpu / Math.max(1, requests)) * 1e6,
  };
}

export function hasWrk(): boolean {
  try {
    execFileSync("wrk", ["--version"], { stdio: "ignore" });
    return true;
  } catch (error) {
    // wrk --version exits 1 after printing its version.
    return (error as { status?: number }).status === 1;
  }
}
