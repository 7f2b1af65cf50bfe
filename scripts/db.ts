/**
 * `npm run db:start` / `db:reset`: the `local-supabase` command, then the app's environment for
 * the stack that runs (the rls_client login's password, which a rebuilt database has lost, and
 * .cache/app.env), so `npm run start:local` runs the built app against it and `npm run role`
 * finds it.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { findRunningStack } from "local-supabase";
import { localAppEnv, localRlsClientPassword, localStateFile, writeAppEnvFile } from "./local-env.ts";

const command = process.argv[2];
if (command !== "start" && command !== "reset") {
  console.error("usage: tsx scripts/db.ts <start|reset>");
  process.exit(2);
}
const packageJson = createRequire(import.meta.url).resolve("local-supabase/package.json");
const cli = join(dirname(packageJson), "bin", "local-supabase.js");

// The command runs as this script does: under tsx, on the package's sources (ADR 0048).
const code = await new Promise<number | null>((resolve) => {
  spawn(process.execPath, [...process.execArgv, cli, command], { stdio: "inherit" }).on("exit", resolve);
});
if (code !== 0) process.exit(code ?? 1);
const stack = await findRunningStack({ workdir: process.env.SUPABASE_WORKDIR || undefined });
if (stack) {
  await writeAppEnvFile(await localAppEnv(stack, await localRlsClientPassword()));
  console.log(`\nThe app's environment for it: ${localStateFile("app.env")} (npm run start:local, npm run role)`);
} else if (command === "start") {
  console.error("local-supabase start returned, but no running stack was found");
  process.exit(1);
} else {
  console.log("\nThe stack is stopped: `npm run db:start` (or `npm run dev`) sets the app's database login again.");
}
