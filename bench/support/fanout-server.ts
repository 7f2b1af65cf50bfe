/**
 * The local Supabase of `bench/realtime-fanout.ts`, in a process of its own so that its CPU time
 * (/proc/<pid>/stat) is the server's alone: the subscribers and the writer run elsewhere. Started
 * with an IPC channel; sends `{ ready, ... }` once the stack is up and stops it (cluster removed)
 * on `{ stop: true }`, on SIGTERM, or when the parent goes away, so a killed bench leaves no
 * cluster behind.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import postgres from "postgres";
import { startLocalApp } from "../../scripts/local-env.ts";

if (!process.send) throw new Error("fanout-server.ts is started by bench/realtime-fanout.ts (IPC channel missing)");

const { supabase, env } = await startLocalApp({ ephemeral: true, database: "bench" }, "rls-client-test-password");

let stopping: Promise<void> | undefined;
function stop(): void {
  stopping ??= supabase
    .stop()
    .catch((error: Error) => {
      process.stderr.write(`fanout-server: stop: ${error.message}\n`);
    })
    .finally(() => process.exit(0));
}
process.on("message", (message: { stop?: boolean }) => {
  if (message.stop) stop();
});
process.on("disconnect", stop);
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

// The postmaster's pid, so the bench can add Postgres' CPU (its backends, the walsender that
// decodes the replication stream) to this process's own.
const admin = postgres(env.ADMIN_DATABASE_URL, { max: 1, onnotice: () => undefined });
const [row] = await admin<{ setting: string }[]>`select setting from pg_settings where name = 'data_directory'`;
await admin.end();
const postmasterPid = Number((await readFile(join(row?.setting ?? "", "postmaster.pid"), "utf8")).split("\n")[0]);

process.send({
  ready: true,
  pid: process.pid,
  postmasterPid,
  apiUrl: supabase.apiUrl,
  realtimeUrl: supabase.realtimeUrl,
  publishableKey: supabase.publishableKey,
  adminUrl: env.ADMIN_DATABASE_URL,
  dataDir: supabase.dataDir,
});
