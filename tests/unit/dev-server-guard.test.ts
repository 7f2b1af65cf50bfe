import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));

/**
 * ADR 0047: what `vinxi dev` does when app.config.ts's hook has run (it starts the hook in the
 * process that serves the app). Node's default for either error below ends the process; tested in
 * a process of its own, with the project's app.config.ts. The flows that used to reach it are
 * tests/e2e/dev-mode.test.ts, which also checks that nothing reaches it any more.
 */
describe("the development server's last-resort handler (app.config.ts, config/dev-server.ts)", () => {
  it(
    "turns an unhandled rejection and an uncaught exception into one line each and keeps the process",
    { timeout: 60_000 },
    async () => {
      const script = [
        'const app = (await import("./app.config.ts")).default;',
        'await app.hooks.callHook("app:dev:start", { app });',
        'Promise.reject(new Response(null, { status: 302, headers: { location: "/login" } }));',
        'setTimeout(() => { throw new TypeError("thrown in a timer"); });',
        'setTimeout(() => console.log("still running"), 500);',
      ].join("\n");
      const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        cwd: root,
        timeout: 50_000,
      });
      expect(stdout.trim()).toBe("still running");
      const lines = stderr.trim().split("\n");
      expect(lines).toHaveLength(2);
      expect(lines[0]).toBe("[dev] unhandled rejection, the dev server keeps running: a Response 302 to /login");
      expect(lines[1]).toMatch(
        /^\[dev\] uncaught exception, the dev server keeps running: TypeError: thrown in a timer \(at .+\)$/,
      );
    },
  );
});
