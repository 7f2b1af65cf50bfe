/**
 * `npm run dev`: one command from a fresh clone to a running app.
 *
 * Backend choice, first match wins:
 *   1. SUPABASE_BACKEND=embedded|cli|env forces one.
 *   2. `.env` (or the shell) sets VITE_SUPABASE_URL → use that project as configured ("env").
 *   3. The Supabase CLI and a running Docker engine → `supabase start` ("cli").
 *   4. Otherwise the local Supabase of packages/local-supabase (its startLocalSupabase API).
 * Ctrl-C stops the app and whatever this command started, and nothing else.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseEnv, promisify } from "node:util";

const run = promisify(execFile);
const vinxiCli = fileURLToPath(new URL("../node_modules/vinxi/bin/cli.mjs", import.meta.url));
const RLS_CLIENT_PASSWORD_FILE = ".cache/rls-client-password";

type BackendKind = "embedded" | "cli" | "env";

interface StartedBackend {
  env: Record<string, string>;
  describe: string;
  stop(): Promise<void>;
}

function dotenv(file: string): Record<string, string> {
  return existsSync(file) ? (parseEnv(readFileSync(file, "utf8")) as Record<string, string>) : {};
}

async function succeeds(cmd: string, args: string[]): Promise<boolean> {
  try {
    await run(cmd, args, { timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

async function chooseBackend(fileEnv: Record<string, string>): Promise<BackendKind> {
  const forced = process.env.SUPABASE_BACKEND;
  if (forced) {
    if (forced === "embedded" || forced === "cli" || forced === "env") return forced;
    throw new Error(`SUPABASE_BACKEND must be embedded, cli or env (got "${forced}")`);
  }
  if (process.env.VITE_SUPABASE_URL || fileEnv.VITE_SUPABASE_URL) return "env";
  if ((await succeeds("supabase", ["--version"])) && (await succeeds("docker", ["info"]))) return "cli";
  return "embedded";
}

/**
 * The rls_client password is per machine: generated once into the git-ignored .cache/, so no
 * credential of the app's own database login is ever committed.
 */
async function localRlsClientPassword(): Promise<string> {
  if (existsSync(RLS_CLIENT_PASSWORD_FILE)) return readFileSync(RLS_CLIENT_PASSWORD_FILE, "utf8").trim();
  const password = randomBytes(24).toString("base64url");
  await mkdir(dirname(RLS_CLIENT_PASSWORD_FILE), { recursive: true });
  await writeFile(RLS_CLIENT_PASSWORD_FILE, `${password}\n`, { mode: 0o600 });
  return password;
}

async function startEmbedded(): Promise<StartedBackend> {
  const { LOCAL_APP_ENV_FILE, startLocalApp } = await import("./local-env.ts");
  const { supabase, env } = await startLocalApp(
    { log: (line) => console.log(`[local-supabase] ${line}`) },
    await localRlsClientPassword(),
  );
  try {
    // For `npm start`, `npm run role`, benchmarks and tools run outside `npm run dev`.
    await writeFile(
      LOCAL_APP_ENV_FILE,
      Object.entries(env)
        .map(([key, value]) => `${key}=${value}`)
        .join("\n")
        .concat("\n"),
      { mode: 0o600 },
    );
  } catch (error) {
    await supabase.stop();
    throw error;
  }
  return {
    env,
    describe: `local Supabase (API ${supabase.apiUrl}, mailbox ${supabase.mailboxUrl}, Postgres 127.0.0.1:${new URL(supabase.dbUrl).port})`,
    stop: supabase.stop,
  };
}

async function startCli(): Promise<StartedBackend> {
  const started = spawn("supabase", ["start"], { stdio: "inherit" });
  const code = await new Promise<number | null>((resolve) => started.on("close", resolve));
  if (code !== 0) throw new Error("`supabase start` failed; see its output above");
  const { stdout } = await run("supabase", ["status", "-o", "env"]);
  const status = parseEnv(stdout) as Record<string, string>;
  const { cliAppEnv } = await import("./local-env.ts");
  return {
    env: cliAppEnv(status),
    describe: `Supabase CLI stack at ${status.API_URL} (left running; stop it with \`supabase stop\`)`,
    stop: async () => undefined,
  };
}

async function main(): Promise<void> {
  const fileEnv = { ...dotenv(".env"), ...dotenv(".env.local") };
  const kind = await chooseBackend(fileEnv);
  const backend: StartedBackend =
    kind === "embedded"
      ? await startEmbedded()
      : kind === "cli"
        ? await startCli()
        : { env: {}, describe: "the Supabase project configured in .env", stop: async () => undefined };

  // Explicit shell variables beat .env files, which beat what the chosen backend reports.
  const env = { ...backend.env, ...fileEnv, ...process.env };
  const port = process.env.PORT ?? "3000";
  console.log(`Backend: ${backend.describe}`);
  console.log(`App:     http://localhost:${port}`);

  // Its own process group, so stopping it also stops the workers vinxi starts, however this
  // command is stopped (Ctrl-C reaches the whole terminal group; an IDE may signal only us).
  const app: ChildProcess = spawn(process.execPath, [vinxiCli, "dev", "--port", port], {
    stdio: "inherit",
    env,
    detached: true,
  });
  let stopping = false;
  const shutdown = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    if (app.exitCode === null && app.pid) {
      const exited = new Promise((resolve) => app.once("exit", resolve));
      process.kill(-app.pid, "SIGTERM");
      await exited;
    }
    await backend.stop();
    process.exit(exitCode);
  };
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));
  app.on("exit", (code) => void shutdown(code ?? 0));
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
