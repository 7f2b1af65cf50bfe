import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const src = fileURLToPath(new URL("../../src", import.meta.url));

function apiFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return apiFiles(path);
    return entry.name.endsWith(".api.ts") ? [path] : [];
  });
}

/**
 * Every "use server" function must run through serverFunction/serverQuery/serverAction
 * (src/server/boundary/server-function.ts): that is where arguments are checked and errors made
 * public. A function that skips it would answer wrong shapes with a TypeError and its stack.
 */
describe("server functions are built with the boundary's helpers", () => {
  const bodies = apiFiles(join(src, "features")).flatMap((file) => {
    const text = readFileSync(file, "utf8");
    return text
      .split(/"use server";/)
      .slice(1)
      .map((body) => ({ file, body: body.split(/\n}/)[0] ?? "" }));
  });

  it("finds the app's server functions", () => {
    expect(bodies.length).toBeGreaterThanOrEqual(20);
  });

  const cases = bodies.map(
    ({ file, body }) => [`${file.slice(src.length)} → ${/\)\)\.(\w+)/.exec(body)?.[1] ?? body.trim()}`, body] as const,
  );
  it.each(cases)("%s", (_name, body) => {
    const call = /^\s*return \(await import\("~\/server\/([\w/-]+)"\)\)\.(\w+)\([^;]*\);\s*$/.exec(body);
    expect(call, 'a server function body is one line: return (await import("~/server/...")).name(...)').not.toBeNull();
    const [, module = "", name = ""] = call ?? [];
    const server = readFileSync(join(src, "server", `${module}.ts`), "utf8");
    expect(server).toMatch(new RegExp(`export const ${name} = server(Function|Query|Action)\\(`));
  });
});
