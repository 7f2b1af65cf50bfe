/** Shared by the bench/ scripts: app processes. */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { combineChunks, createChunks, stringFromBase64URL, stringToBase64URL } from "@supabase/ssr";
import { decodeJwt, importJWK, type JWK, type JWTPayload, SignJWT } from "jose";
import postgres from "postgres";
import { children, onCleanup } from "./run.ts";
import { appEnv, type Stack } from "./stack.ts";

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
        ...appEnv(stack),
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
    // A no-JS form post carries the page it came from (the app answers 400 without a Referer).
    headers: { origin: appUrl, referer: `${appUrl}/login`, "content-type": "application/x-www-form-urlencoded" },
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
  const sessions: { id: string; user_id: string }[] = [];
  for (const user of await createUsers(stack, count, claims.app_metadata ?? {})) {
    const sessionId = randomUUID();
    sessions.push({ id: sessionId, user_id: user.id });
    const token = await sign({ ...claims, sub: user.id, email: user.email, session_id: sessionId });
    const session = { ...stored.session, access_token: token, user: { ...stored.session.user, id: user.id, email: user.email } };
    cookies.push(writeSessionCookie({ name: stored.name, session }));
  }
  // The middleware signs out a token whose session is not in auth.sessions (ADR 0035).
  const sql = postgres(stack.adminUrl, { max: 1, onnotice: () => undefined });
  try {
    for (let i = 0; i < sessions.length; i += 1000) {
      await sql`insert into auth.sessions ${sql(sessions.slice(i, i + 1000).map((row) => ({ ...row, aal: "aal1", created_at: new Date(), updated_at: new Date() })))}`;
    }
  } finally {
    await sql.end();
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

/**
 * `count` public messages of an ordinary length (ASCII), by the three seeded users in turn, one
 * second apart up to now: the feed that /messages renders in the T5 figures.
 */
export async function insertBenchMessages(adminUrl: string, count: number): Promise<void> {
  if (count <= 0) return;
  const sql = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  try {
    await sql`
      insert into public.messages (author_id, body, created_at)
      select (array['a11ce000-0000-4000-8000-000000000001', 'b0b00000-0000-4000-8000-000000000002',
                    'ca201000-0000-4000-8000-000000000003']::uuid[])[1 + i % 3],
             'Bench message number ' || i || ': a sentence of ordinary length for a chat feed.',
             now() - make_interval(secs => ${count} - i)
      from generate_series(1, ${count}::int) as i`;
  } finally {
    await sql.end();
  }
}
