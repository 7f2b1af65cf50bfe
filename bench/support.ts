/**
 * Shared machinery of the bench/ scripts: a throw-away stack (an ephemeral local Supabase, as the
 * built-app tests start it), app builds in temporary copies of the project, app processes on
 * 127.0.0.1, a sign-in, a bounded keep-alive load generator and the "baseline / ours / ratio"
 * printing. Nothing here touches the project's own .output/ or src/.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { combineChunks, createChunks, stringFromBase64URL, stringToBase64URL } from "@supabase/ssr";
import { decodeJwt, importJWK, type JWK, type JWTPayload, SignJWT } from "jose";
import postgres from "postgres";
import type { LocalSupabase } from "@solidstart-supabase/local-supabase";
import { startLocalApp } from "../scripts/local-env.ts";
import { freePort } from "@solidstart-supabase/local-supabase/testing";

export const root = fileURLToPath(new URL("..", import.meta.url));
export const benchDir = fileURLToPath(new URL(".", import.meta.url));

// ---------------------------------------------------------------------------------------------
// Command line and cleanup
// ---------------------------------------------------------------------------------------------

/** `--name=value` / `--flag` options; numbers parsed. */
export function options<T extends Record<string, string | number | boolean>>(defaults: T): T {
  const result: Record<string, string | number | boolean> = { ...defaults };
  for (const argument of process.argv.slice(2)) {
    const match = /^--([\w-]+)(?:=(.*))?$/.exec(argument);
    if (!match?.[1]) throw new Error(`unknown argument ${argument}`);
    const key = match[1].replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
    if (!(key in defaults)) throw new Error(`unknown option --${match[1]} (known: ${Object.keys(defaults).join(", ")})`);
    const fallback = defaults[key];
    const raw = match[2];
    if (typeof fallback === "number") result[key] = Number(raw);
    else if (typeof fallback === "boolean") result[key] = raw === undefined ? true : raw !== "false";
    else result[key] = raw ?? "";
  }
  return result as T;
}

type Cleanup = () => Promise<void> | void;
const cleanups: Cleanup[] = [];
const children = new Set<ChildProcess>();

/** Registers a cleanup; they run in reverse order on exit, error, Ctrl-C or the deadline. */
export function onCleanup(fn: Cleanup): void {
  cleanups.push(fn);
}

let cleaning: Promise<void> | undefined;
async function cleanupAll(): Promise<void> {
  cleaning ??= (async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    while (cleanups.length) {
      const fn = cleanups.pop();
      try {
        await fn?.();
      } catch (error) {
        console.error(`cleanup: ${(error as Error).message}`);
      }
    }
  })();
  return cleaning;
}

/**
 * Runs a bench script: everything it started is stopped again however it ends, and the whole run
 * is bounded by `deadlineSeconds` (then it stops everything and exits with code 2).
 */
export async function main(deadlineSeconds: number, fn: () => Promise<void>): Promise<void> {
  const deadline = setTimeout(() => {
    console.error(`bench: deadline of ${deadlineSeconds}s reached, stopping`);
    void cleanupAll().finally(() => process.exit(2));
  }, deadlineSeconds * 1000);
  deadline.unref();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => void cleanupAll().finally(() => process.exit(130)));
  }
  let code = 0;
  try {
    await fn();
  } catch (error) {
    console.error(error);
    code = 1;
  } finally {
    await cleanupAll();
    clearTimeout(deadline);
  }
  process.exit(code);
}

export function log(message: string): void {
  process.stderr.write(`# ${message}\n`);
}

// ---------------------------------------------------------------------------------------------
// Builds in temporary copies of the project
// ---------------------------------------------------------------------------------------------

export interface BuildOptions {
  /** "worktree" (default): the files as they are now; otherwise a git ref read with git archive. */
  source?: string;
  /** Rewrites files of the copy before building (relative path -> new content from old). */
  patch?: Record<string, (content: string) => string>;
  /** Extra files written into the copy before building. */
  add?: Record<string, string>;
  label?: string;
  /** What to copy from the project (default: everything the app build reads). */
  copy?: string[];
}

const PROJECT_FILES = ["src", "public", "config", "app.config.ts", "tsconfig.json", "package.json"];

/**
 * Copies what the app build reads into a temp dir (node_modules symlinked), applies patches and
 * runs `vinxi build` there. Returns the copy's folder (its .output/ holds the build).
 */
export async function buildApp(options: BuildOptions = {}): Promise<string> {
  // BENCH_BUILD_CACHE=<dir>: keep builds in <dir>/<label> and reuse them (for iterating on bench/).
  const cache = process.env.BENCH_BUILD_CACHE;
  if (cache && existsSync(join(cache, options.label ?? "build", ".output/server/index.mjs"))) {
    log(`reusing ${join(cache, options.label ?? "build")} (BENCH_BUILD_CACHE)`);
    return join(cache, options.label ?? "build");
  }
  const dir = cache
    ? join(cache, options.label ?? "build")
    : await mkdtemp(join(tmpdir(), `bench-app-${options.label ?? "build"}-`));
  if (cache) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
  } else onCleanup(() => rm(dir, { recursive: true, force: true }));
  const source = options.source ?? "worktree";
  if (source === "worktree") {
    for (const entry of options.copy ?? PROJECT_FILES) await cp(join(root, entry), join(dir, entry), { recursive: true });
  } else {
    // Older refs may lack some of the entries (config/ came with ADR 0015).
    const inRef = new Set(execFileSync("git", ["ls-tree", "--name-only", source], { cwd: root, encoding: "utf8" }).split("\n"));
    const entries = (options.copy ?? PROJECT_FILES).filter((entry) => inRef.has(entry));
    const archive = execFileSync("git", ["archive", source, ...entries], { cwd: root, maxBuffer: 1 << 30 });
    execFileSync("tar", ["-x", "-C", dir], { input: archive });
  }
  await linkNodeModules(dir);
  for (const [file, rewrite] of Object.entries(options.patch ?? {})) {
    const path = join(dir, file);
    const before = await readFile(path, "utf8");
    const after = rewrite(before);
    if (after === before) throw new Error(`bench patch of ${file} changed nothing (the app changed?)`);
    await writeFile(path, after);
  }
  for (const [file, content] of Object.entries(options.add ?? {})) {
    await mkdir(join(dir, file, ".."), { recursive: true });
    await writeFile(join(dir, file), content);
  }
  const started = Date.now();
  await run(process.execPath, [join(root, "node_modules/vinxi/bin/cli.mjs"), "build"], dir);
  log(`built ${options.label ?? "app"} (${source}) in ${((Date.now() - started) / 1000).toFixed(1)} s: ${dir}`);
  return dir;
}

/**
 * The copy gets its own node_modules folder whose entries link to the project's packages. Not one
 * link to the whole folder: build tools keep state under node_modules/.* (the server-functions
 * plugin writes node_modules/.tanstack-start/server-functions-manifest.json relative to the cwd),
 * and a shared one would let this build and any other build of the project overwrite each other's.
 */
async function linkNodeModules(dir: string): Promise<void> {
  const target = join(dir, "node_modules");
  await mkdir(target);
  for (const entry of await readdir(join(root, "node_modules"))) {
    if (entry.startsWith(".") && entry !== ".bin") continue;
    await symlink(join(root, "node_modules", entry), join(target, entry));
  }
}

/**
 * Builds the baseline variant (bench/variants/session-switch.ts): the same sources, middleware.ts calling the bench switch. */
export async function buildVariant(source: string): Promise<string> {
  const switchSource = await readFile(join(benchDir, "variants/session-switch.ts"), "utf8");
  return buildApp({
    source,
    label: "variant",
    add: { "src/bench-session-switch.ts": switchSource },
    patch: {
      "src/middleware.ts": (text) => {
        const call = "await updateSession(event);";
        if (!text.includes(call)) throw new Error(`src/middleware.ts no longer contains "${call}": update buildVariant`);
        return `import { benchSession } from "~/bench-session-switch";\n${text.replace(call, "await benchSession(event);")}`;
      },
    },
  });
}

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, NODE_ENV: "production" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      children.delete(child);
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(" ")} in ${cwd} failed:\n${output.slice(-4000)}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Stack: throw-away cluster, database, embedded backend with a request counter
// ---------------------------------------------------------------------------------------------

export interface Stack {
  backend: LocalSupabase;
  /** Superuser URL of the bench database (the app's ADMIN_DATABASE_URL). */
  adminUrl: string;
  /** rls_client URL of the bench database (the app's DATABASE_URL). */
  rlsUrl: string;
  /** Auth API requests seen since the last reset, keyed "METHOD /path". */
  counts: Map<string, number>;
  /** Ports reserved for app processes (the backend accepts redirects to them). */
  appPorts: number[];
  /** The backend's state folder (auth-keys.json holds its signing key). */
  stateDir: string;
  /** When set, the backend answers its JWKS endpoint with this document (key rotation). */
  jwksOverride: { keys: unknown[] } | null;
}

export const JWKS_PATH = "GET /auth/v1/.well-known/jwks.json";

/** The stack tests/setup/app.ts starts (startLocalApp), with its auth requests counted. */
export async function startStack(appProcesses = 4): Promise<Stack> {
  const appPorts: number[] = [];
  for (let i = 0; i < appProcesses; i++) appPorts.push(await freePort());
  const { supabase: backend, env } = await startLocalApp(
    {
      ephemeral: true,
      database: "bench",
      configure: (config) => {
        config.auth.site_url = `http://127.0.0.1:${appPorts[0]}`;
        config.auth.additional_redirect_urls = appPorts.map((port) => `http://127.0.0.1:${port}/**`);
        config.auth.rate_limit = {
          ...config.auth.rate_limit,
          email_sent: 10_000,
          sign_in_sign_ups: 10_000,
          token_refresh: 100_000,
        };
      },
    },
    "rls-client-test-password",
  );
  onCleanup(backend.stop);
  const counts = new Map<string, number>();
  const stack: Stack = {
    backend,
    adminUrl: env.ADMIN_DATABASE_URL,
    rlsUrl: env.DATABASE_URL,
    counts,
    appPorts,
    stateDir: backend.dataDir,
    jwksOverride: null,
  };
  // Count every auth API request; answer the JWKS from stack.jwksOverride when one is set.
  const handlers = backend.apiServer.listeners("request") as ((request: IncomingMessage, response: ServerResponse) => void)[];
  backend.apiServer.removeAllListeners("request");
  backend.apiServer.on("request", (request: IncomingMessage, response: ServerResponse) => {
    const key = `${request.method} ${new URL(request.url ?? "/", "http://x").pathname}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (key === JWKS_PATH && stack.jwksOverride) {
      request.resume();
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(stack.jwksOverride));
      return;
    }
    for (const handler of handlers) handler.call(backend.apiServer, request, response);
  });
  return stack;
}

// ---------------------------------------------------------------------------------------------
// App processes
// ---------------------------------------------------------------------------------------------

export interface AppProcess {
  url: string;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** `node .output/server/index.mjs` of a build, on a reserved port, waited for on a static file. */
export async function startApp(
  stack: Stack,
  buildDir: string,
  port: number,
  env: Record<string, string> = {},
): Promise<AppProcess> {
  if (!Number.isInteger(port) || port <= 0) throw new Error(`startApp: no port (reserve more with startStack(n))`);
  const url = `http://127.0.0.1:${port}`;
  let output = "";
  const child = spawn(
    process.execPath,
    [...(env.NODE_FLAGS ? env.NODE_FLAGS.split(" ") : []), join(buildDir, ".output/server/index.mjs")],
    {
      cwd: buildDir,
      env: {
        PATH: process.env.PATH ?? "",
        NODE_ENV: "production",
        HOST: "127.0.0.1",
        PORT: String(port),
        VITE_SUPABASE_URL: stack.backend.apiUrl,
        VITE_SUPABASE_PUBLISHABLE_KEY: stack.backend.publishableKey,
        SUPABASE_SECRET_KEY: stack.backend.secretKey,
        DATABASE_URL: stack.rlsUrl,
        ADMIN_DATABASE_URL: stack.adminUrl,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  children.add(child);
  child.stdout?.on("data", (chunk) => (output = (output + chunk).slice(-20_000)));
  child.stderr?.on("data", (chunk) => (output = (output + chunk).slice(-20_000)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await once(child, "exit");
      clearTimeout(timer);
    }
    children.delete(child);
  };
  onCleanup(stop);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the app exited (${child.exitCode}):\n${output}`);
    if (Date.now() > deadline) throw new Error(`the app did not answer on ${url}:\n${output}`);
    try {
      const response = await fetch(`${url}/favicon.svg`, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return { url, process: child, output: () => output, stop };
}

/** Signs in through the login form (no JavaScript, same-origin POST) and returns the Cookie header. */
export async function signIn(appUrl: string, email = "bob@example.com", password = "password123"): Promise<string> {
  const page = await (await fetch(`${appUrl}/login`)).text();
  const match = /action="([^"]*--signIn_action[^"]*)"/.exec(page);
  if (!match?.[1]) throw new Error("no sign-in form on /login");
  const response = await fetch(new URL(match[1].replaceAll("&amp;", "&"), appUrl), {
    method: "POST",
    redirect: "manual",
    headers: { origin: appUrl, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ email, password, next: "/" }).toString(),
  });
  const cookies = response.headers
    .getSetCookie()
    .map((header) => header.split(";")[0] ?? "")
    .filter((pair) => /^sb-[^-]+-auth-token(\.\d+)?=./.test(pair));
  if (response.status !== 302 || !cookies.length) throw new Error(`sign-in of ${email} failed: ${response.status}`);
  return cookies.join("; ");
}

export interface SessionCookie {
  /** Storage key (cookie name without the chunk suffix). */
  name: string;
  session: { access_token: string; refresh_token: string; user?: Record<string, unknown>; [key: string]: unknown };
}

/** The session stored in a Cookie header (chunked, base64- encoded, as @supabase/ssr writes it). */
export async function readSessionCookie(cookie: string): Promise<SessionCookie> {
  const jar = new Map(cookie.split("; ").map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]));
  const name = [...jar.keys()].find((key) => /^sb-[^-]+-auth-token(\.\d+)?$/.test(key))?.replace(/\.\d+$/, "") ?? "";
  const raw = (await combineChunks(name, (chunk) => jar.get(chunk))) ?? "";
  return { name, session: JSON.parse(stringFromBase64URL(raw.replace(/^base64-/, ""))) as SessionCookie["session"] };
}

/** A Cookie header holding `session`, chunked the way @supabase/ssr chunks. */
export function writeSessionCookie({ name, session }: SessionCookie): string {
  return createChunks(name, `base64-${stringToBase64URL(JSON.stringify(session))}`)
    .map((chunk) => `${chunk.name}=${chunk.value}`)
    .join("; ");
}

/** Signs access tokens with the backend's own key (or another key, for rotation tests). */
export async function backendSigner(
  stack: Stack,
  key?: { kid: string; privateJwk: JWK },
): Promise<(claims: JWTPayload) => Promise<string>> {
  const file =
    key ?? (JSON.parse(await readFile(join(stack.stateDir, "auth-keys.json"), "utf8")) as { kid: string; privateJwk: JWK });
  const signing = await importJWK(file.privateJwk, "ES256");
  return (claims) => new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: file.kid, typ: "JWT" }).sign(signing);
}

/**
 * `count` more confirmed users (bench-<i>@example.com, no password) straight in auth.users, as
 * the seed does; their app_metadata is `appMetadata`. Returns ids and emails.
 */
export async function createUsers(stack: Stack, count: number, appMetadata: unknown): Promise<{ id: string; email: string }[]> {
  const sql = postgres(stack.adminUrl, { max: 1, onnotice: () => undefined });
  try {
    const [{ offset } = { offset: 0 }] = await sql<{ offset: number }[]>`select count(*)::int as offset from auth.users`;
    return await sql<{ id: string; email: string }[]>`
      insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
        raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
        confirmation_token, recovery_token, email_change_token_new, email_change)
      select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
        'bench-' || i || '@example.com', '', now(), ${sql.json(appMetadata as never)},
        jsonb_build_object('username', 'bench' || i), now(), now(), '', '', '', ''
      from generate_series(${offset + 1}::int, ${offset + count}::int) as i
      returning id, email`;
  } finally {
    await sql.end();
  }
}

/** Session cookies of `count` new users, cut from `cookie` (bob's) with re-signed tokens. */
export async function manyUserCookies(stack: Stack, cookie: string, count: number): Promise<string[]> {
  const stored = await readSessionCookie(cookie);
  const claims = decodeJwt(stored.session.access_token);
  const sign = await backendSigner(stack);
  const cookies: string[] = [];
  for (const user of await createUsers(stack, count, claims.app_metadata ?? {})) {
    const token = await sign({ ...claims, sub: user.id, email: user.email, session_id: randomUUID() });
    const session = { ...stored.session, access_token: token, user: { ...stored.session.user, id: user.id, email: user.email } };
    cookies.push(writeSessionCookie({ name: stored.name, session }));
  }
  return cookies;
}

/** One GET with the given headers: status, body and Set-Cookie names. */
export async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; setCookies: string[] }> {
  const response = await fetch(url, { headers, redirect: "manual" });
  return { status: response.status, body: await response.text(), setCookies: response.headers.getSetCookie() };
}

// ---------------------------------------------------------------------------------------------
// Load generator: N keep-alive connections, each sending requests back to back for a fixed time
// ---------------------------------------------------------------------------------------------

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

const CLOCK_TICKS = (() => {
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

// ---------------------------------------------------------------------------------------------
// Side-by-side measurement and reporting
// ---------------------------------------------------------------------------------------------

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? NaN) : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}

/**
 * Runs `measure` for every variant in turn (A B C A B C ...) `rounds` times after one warm-up
 * pass, so slow drifts of the machine hit every variant alike. Returns each variant's runs.
 */
export async function alternate<K extends string, R>(
  variants: readonly K[],
  rounds: number,
  measure: (variant: K, warmup: boolean) => Promise<R>,
): Promise<Record<K, R[]>> {
  const results = Object.fromEntries(variants.map((variant) => [variant, [] as R[]])) as Record<K, R[]>;
  for (const variant of variants) await measure(variant, true);
  // A fresh order every round (fixed seed): what ran just before a variant (a heavy page, a
  // GC, Postgres' background work) does not always fall on the same one.
  let seed = 0x2545f491;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let round = 0; round < rounds; round++) {
    const order = [...variants];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j] as K, order[i] as K];
    }
    for (const variant of order) results[variant].push(await measure(variant, false));
  }
  return results;
}

/** Per-round ratios ours[i] / baseline[i] (same round, side by side): median and range. */
export function pairedRatio(ours: number[], baseline: number[]): { median: number; min: number; max: number } {
  const ratios = ours.map((value, index) => value / (baseline[index] ?? NaN));
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

export interface Figure {
  name: string;
  baselineLabel: string;
  baseline: number;
  ours: number;
  unit: string;
  /** ratio = ours / baseline unless given */
  ratio: number;
  /** Range of the per-round ratios, when known. */
  range?: [number, number];
  target?: string;
  met?: boolean;
}

export const figures: Figure[] = [];

function format(value: number, unit: string): string {
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : Math.abs(value) >= 1 ? 2 : 3;
  return `${value.toFixed(digits)} ${unit}`.trim();
}

/** Prints `name: baseline <label> X / ours Y / ratio Z [target]` and keeps it for the summary. */
export function report(figure: Omit<Figure, "ratio"> & { ratio?: number }): Figure {
  const full: Figure = { ...figure, ratio: figure.ratio ?? figure.ours / figure.baseline };
  figures.push(full);
  const verdict = full.target ? `  [target ${full.target}: ${full.met ? "met" : "MISSED"}]` : "";
  const range = full.range ? ` (rounds ${full.range[0].toFixed(2)}–${full.range[1].toFixed(2)})` : "";
  console.log(
    `${full.name}: baseline (${full.baselineLabel}) ${format(full.baseline, full.unit)} / ours ${format(full.ours, full.unit)} / ratio ${full.ratio.toFixed(2)}${range}${verdict}`,
  );
  return full;
}

export function describe(result: LoadResult): string {
  const cpu = Number.isNaN(result.cpuPerRequest) ? "" : `, ${result.cpuPerRequest.toFixed(0)} µs CPU/req`;
  return `${result.rps.toFixed(0)} req/s${cpu}, mean ${result.mean.toFixed(3)} ms, p50 ${result.p50.toFixed(3)} ms, p99 ${result.p99.toFixed(2)} ms, ${result.requests} req, ${result.errors} errors`;
}
