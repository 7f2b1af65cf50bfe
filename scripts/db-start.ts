/**
 * `npm run db:start`: the local Supabase in the background (`local-supabase start`), then the
 * app's environment for it in .cache/app.env, so `npm run start:local` runs the built app
 * against it and `npm run role` finds it.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { findRunningStack } from "@solidstart-supabase/local-supabase";
import { localAppEnv, localRlsClientPassword, localStateFile, writeAppEnvFile } from "./local-env.ts";

const packageJson = createRequire(import.meta.url).resolve("@solidstart-supabase/local-supabase/package.json");
const cli = join(dirname(packageJson), "bin", "local-supabase.js");

const code = await new Promise<number | null>((resolve) => {
  spawn(process.execPath, [cli, "start"], { stdio: "inherit" }).on("exit", resolve);
});
if (code !== 0) process.exit(code ?? 1);
const stack = await findRunningStack();
if (!stack) {
  console.error("local-supabase start returned, but no running stack was found");
  process.exit(1);
}
await writeAppEnvFile(await localAppEnv(stack, await localRlsClientPassword()));
console.log(`\nThe app's environment for it: ${localStateFile("app.env")} (npm run start:local, npm run role)`);
