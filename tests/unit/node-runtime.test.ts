import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = new URL("../..", import.meta.url);

/** engines.node reads ">=X.Y[.Z]" (scripts/use-node.sh parses the same form). */
function minimumNode(): number[] {
  const range: string = JSON.parse(readFileSync(new URL("package.json", root), "utf8")).engines.node;
  const match = /^>=(\d+)\.(\d+)(?:\.(\d+))?$/.exec(range);
  if (!match) throw new Error(`engines.node must read ">=X.Y[.Z]", got "${range}"`);
  return match.slice(1).map((part) => Number(part ?? 0));
}

describe("the Node.js the suite runs on", () => {
  it("satisfies engines.node", () => {
    const have = process.versions.node.split(".").map(Number);
    const want = minimumNode();
    const firstDifference = want.findIndex((part, i) => have[i] !== part);
    expect(
      firstDifference === -1 || (have[firstDifference] ?? 0) > (want[firstDifference] ?? 0),
      `Node ${process.versions.node} is below engines.node`,
    ).toBe(true);
  });

  it("has the global WebSocket that supabase-js and the feed client use on the server", () => {
    expect(typeof globalThis.WebSocket).toBe("function");
  });

  it("loads the Supabase clients without a deprecation warning", async () => {
    // A fresh process: the warnings are printed once, when the modules are first loaded.
    const { stdout, stderr } = await run(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        'await import("@supabase/supabase-js"); await import("@supabase/ssr"); await import("@supabase/realtime-js");',
      ],
      { cwd: root, timeout: 20_000 },
    );
    expect(stdout + stderr).toBe("");
  });
});
