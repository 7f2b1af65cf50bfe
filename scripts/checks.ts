import { spawn } from "node:child_process";

/**
 * The static checks of `npm test` side by side instead of one after another: each is a single
 * process on one core, so on two cores they take about as long as the slowest pair. Each one's
 * output is printed whole when it ends, in this order; the run fails if any of them fails.
 */
const CHECKS = ["typecheck", "lint", "deps:check", "format:check", "db:check", "db:grants:check", "rpc:check"];

function run(script: string): Promise<{ script: string; code: number; output: string; seconds: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn("npm", ["run", "--silent", script], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", (error) => resolve({ script, code: 1, output: `${output}${error.message}\n`, seconds: 0 }));
    child.on("close", (code) => resolve({ script, code: code ?? 1, output, seconds: (Date.now() - started) / 1000 }));
  });
}

const pending = CHECKS.map(run);
let failed = 0;
for (const result of pending) {
  const { script, code, output, seconds } = await result;
  process.stdout.write(
    `> npm run ${script}: ${code === 0 ? "ok" : `failed (exit ${code})`} in ${seconds.toFixed(1)} s\n${output}`,
  );
  if (code !== 0) failed++;
}
process.exitCode = failed > 0 ? 1 : 0;
