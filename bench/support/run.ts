/** Shared by the bench/ scripts: command line and cleanup. */
import { type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../..", import.meta.url));
export const benchDir = fileURLToPath(new URL("..", import.meta.url));

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
/** Every child process a bench started: killed on exit, so nothing outlives a run. */
export const children = new Set<ChildProcess>();

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
