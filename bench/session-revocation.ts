/**
 * Issue 14: what the session revocation check (ADR 0035) adds to a request, side by side. Worker
 * processes run the app's own updateSession(): "with" from the project's src/, "without" from a
 * temporary copy whose middleware skips the session check (the only difference), and a second
 * "without" as a control, so the A/A ratio shows what "within noise" means on this machine today.
 * All three share one database and take turns, one at a time, in a shuffled order per round.
 *
 *   npx tsx bench/session-revocation.ts [--rounds=7] [--duration=1] [--users=8000] [--in-flight=20]
 *
 *   one user          a valid session cookie, verified and checked before (the common case)
 *   many users        `users` sessions in turn, each back every few seconds, all checked before;
 *                     one request at a time, and `in-flight` at a time
 *   then, measured after all of those (they would otherwise find the version moved):
 *   many, sign-outs   the same while another session is deleted every 250 ms, so the version
 *                     keeps moving and every session is looked up again at most once a second:
 *                     the worst case, a site where someone signs out all the time; one at a time
 *                     (no batching possible) and `in-flight` at a time (lookups batched)
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createChunks, stringToBase64URL } from "@supabase/ssr";
import postgres from "postgres";
import { manyUserCookies } from "./support/app.ts";
import { alternate, median, pairedRatio, report } from "./support/report.ts";
import { children, log, main, onCleanup, options, root } from "./support/run.ts";
import { appEnv, startStack } from "./support/stack.ts";

const opts = options({ rounds: 7, duration: 1, warmup: 1, users: 8000, inFlight: 20 });

const SESSION_FILE = "src/server/session/session.ts";
const CHECK = 'tokenCheck("session revocation", tokenSessionRevoked(result.claims), false)';

interface Worker {
  ask<T>(message: unknown): Promise<T>;
}

/** A copy of src/ (and what tsx needs to resolve `~/`) whose middleware skips the session check. */
async function copyWithoutCheck(label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `bench-${label}-`));
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  for (const entry of ["src", "tsconfig.json", "package.json", "bench/variants/middleware-worker.ts"]) {
    await mkdir(join(dir, entry, ".."), { recursive: true });
    await cp(join(root, entry), join(dir, entry), { recursive: true });
  }
  await symlink(join(root, "node_modules"), join(dir, "node_modules"));
  const source = await readFile(join(dir, SESSION_FILE), "utf8");
  if (!source.includes(CHECK)) throw new Error(`${SESSION_FILE} no longer calls ${CHECK} (the app changed?)`);
  await writeFile(join(dir, SESSION_FILE), source.replace(CHECK, "Promise.resolve(false)"));
  return dir;
}

function startWorker(cwd: string): Worker {
  // cwd decides which tsconfig.json, and so which src/, `~/` resolves to.
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "bench/variants/middleware-worker.ts"], {
    cwd,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  children.add(child);
  return {
    ask: <T>(message: unknown) =>
      new Promise<T>((resolve, reject) => {
        child.once("message", (answer: unknown) => {
          if (answer && typeof answer === "object" && "error" in answer) reject(new Error(String(answer.error)));
          else resolve(answer as T);
        });
        child.send(message as never);
      }),
  };
}

await main(420, async () => {
  const stack = await startStack(1);
  const env = appEnv(stack);
  const { sessionCookieName } = await import("../src/server/session/session-cookies.ts");
  const response = await fetch(`${stack.backend.apiUrl}/auth/v1/token?grant_type=password`, {
    method: "POST",
    headers: { apikey: stack.backend.publishableKey, "content-type": "application/json" },
    body: JSON.stringify({ email: "bob@example.com", password: "password123" }),
  });
  if (!response.ok) throw new Error(`sign-in: ${response.status} ${await response.text()}`);
  const session = (await response.json()) as object;
  const cookie = createChunks(sessionCookieName(stack.backend.apiUrl), `base64-${stringToBase64URL(JSON.stringify(session))}`)
    .map((chunk) => `${chunk.name}=${chunk.value}`)
    .join("; ");
  const userCookies = await manyUserCookies(stack, cookie, opts.users);
  log(`${userCookies.length} user sessions created`);

  const workers = {
    with: startWorker(root),
    without: startWorker(await copyWithoutCheck("without")),
    "without (control)": startWorker(await copyWithoutCheck("control")),
  };
  for (const worker of Object.values(workers)) await worker.ask({ setup: { env, cookie, userCookies } });
  log("workers ready, every session seen once by each");

  // Deleted sessions of a user of their own: bumps the version without touching anyone measured.
  const sql = postgres(stack.adminUrl, { max: 1, onnotice: () => undefined });
  onCleanup(() => sql.end());
  const [churn] = await sql<{ id: string }[]>`select id from auth.users where email = 'carol@example.com'`;
  if (!churn) throw new Error("seed user carol missing");
  const signOutSomeone = async () => {
    const id = randomUUID();
    await sql`insert into auth.sessions (id, user_id, created_at, updated_at, aal) values (${id}, ${churn.id}, now(), now(), 'aal1')`;
    await sql`delete from auth.sessions where id = ${id}`;
  };

  type Process = keyof typeof workers;
  const processes = Object.keys(workers) as Process[];
  interface Scenario {
    name: string;
    users: "one user" | "many users";
    inFlight: number;
    signOuts: boolean;
  }
  const steady: Scenario[] = [
    { name: "one user", users: "one user", inFlight: 1, signOuts: false },
    { name: "many users", users: "many users", inFlight: 1, signOuts: false },
    { name: `many users, ${opts.inFlight} in flight`, users: "many users", inFlight: opts.inFlight, signOuts: false },
  ];
  const churning: Scenario[] = [
    { name: "many users, sign-outs", users: "many users", inFlight: 1, signOuts: true },
    { name: `many users, sign-outs, ${opts.inFlight} in flight`, users: "many users", inFlight: opts.inFlight, signOuts: true },
  ];

  const measurePhase = async (scenarios: Scenario[]) => {
    const variants = scenarios.flatMap((scenario) => processes.map((name) => `${scenario.name} | ${name}`));
    const measure = async (variant: string, warmup: boolean) => {
      const [scenarioName, name] = variant.split(" | ") as [string, Process];
      const scenario = scenarios.find((candidate) => candidate.name === scenarioName) as Scenario;
      const timer = scenario.signOuts ? setInterval(() => void signOutSomeone(), 250) : undefined;
      try {
        const result = await workers[name].ask<{ wall: number; cpu: number }>({
          measure: scenario.users,
          seconds: warmup ? opts.warmup : opts.duration,
          inFlight: scenario.inFlight,
        });
        log(`${warmup ? "warm-up " : ""}${variant}: ${result.wall.toFixed(1)} µs/op wall, ${result.cpu.toFixed(1)} µs/op CPU`);
        return result;
      } finally {
        clearInterval(timer);
      }
    };
    return alternate(variants, opts.rounds, measure);
  };
  const runs: Record<string, { wall: number; cpu: number }[]> = {
    ...(await measurePhase(steady)),
    ...(await measurePhase(churning)),
  };

  console.log(
    `\nupdateSession() with and without the session check, ${opts.rounds} x ${opts.duration} s, medians (µs per request; in flight: wall time / requests):`,
  );
  for (const scenario of [...steady, ...churning]) {
    const of = (name: Process) => runs[`${scenario.name} | ${name}`] ?? [];
    const walls = (name: Process) => of(name).map((run) => run.wall);
    const control = pairedRatio(walls("without (control)"), walls("without"));
    const ratio = pairedRatio(walls("with"), walls("without"));
    // Within noise: the with/without ratio lies inside the range the A/A control spans.
    const noise = Math.max(Math.abs(control.min - 1), Math.abs(control.max - 1));
    report({
      name: `session check, ${scenario.name}`,
      baselineLabel: "without",
      baseline: median(walls("without")),
      ours: median(walls("with")),
      unit: "µs",
      ratio: ratio.median,
      range: [ratio.min, ratio.max],
      target: `within noise (A/A control ${control.median.toFixed(2)}, rounds ${control.min.toFixed(2)}–${control.max.toFixed(2)})`,
      met: Math.abs(ratio.median - 1) <= noise,
    });
    const cpu = (name: Process) => median(of(name).map((run) => run.cpu));
    console.log(`   CPU per request: without ${cpu("without").toFixed(1)} µs, with ${cpu("with").toFixed(1)} µs`);
  }
});
