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
 * Every "use server" function must run through the boundary's helpers (server*, or user* for a
 * signed-in user: src/server/boundary/server-function.ts): that is where arguments are checked,
 * the user guard runs and errors are made public. A function that skips it would answer wrong
 * shapes with a TypeError and its stack. Each has one name, from the RPC stub (and its query or
 * action key) to the server module, and the helper it is built with decides its stub: *Query a
 * cached query(), *Action a form's action(), *Function a plain server function (ADR 0049). The
 * stubs are generated (config/rpc-stubs.ts); this reads the files as they are committed.
 */
describe("server functions are built with the boundary's helpers", () => {
  // `export const name = query(async (...) => { "use server"; ... }, "key")`, or action(), or
  // `export async function name(...) { "use server"; ... }`.
  const STUB =
    /^(?:const (\w+) = (query|action)\(async|async function (\w+))[^{]*\{\s*"use server";([\s\S]*?)\n\}(?:, "([^"]*)"\))?/;
  const bodies = apiFiles(join(src, "features")).flatMap((file) =>
    readFileSync(file, "utf8")
      .split(/^export /m)
      .filter((stub) => stub.includes('"use server";'))
      .map((stub) => {
        const match = STUB.exec(stub);
        const kind = match?.[2] ?? (match?.[3] ? "function" : "");
        return { file, stubName: match?.[1] ?? match?.[3] ?? "", kind, body: match?.[4] ?? stub, key: match?.[5] ?? null };
      }),
  );

  it("finds the app's server functions", () => {
    expect(bodies.length).toBeGreaterThanOrEqual(20);
  });

  const cases = bodies.map((stub) => [`${stub.file.slice(src.length)} → ${stub.stubName || stub.body.trim()}`, stub] as const);
  it("finds each kind of stub", () => {
    expect(new Set(bodies.map((stub) => stub.kind))).toEqual(new Set(["query", "action", "function"]));
  });

  const HELPER = { query: "Query", action: "Action", function: "Function" } as Record<string, string>;

  it.each(cases)("%s", (_name, { stubName, kind, body, key }) => {
    const call = /^\s*return \(await import\("~\/server\/([\w/-]+)"\)\)\.(\w+)\([^;]*\);\s*$/.exec(body);
    expect(call, 'a server function body is one line: return (await import("~/server/...")).name(...)').not.toBeNull();
    const [, module = "", name = ""] = call ?? [];
    expect(name, "the server function has the stub's name").toBe(stubName);
    if (key !== null) expect(key, "the query or action key is the stub's name").toBe(stubName);
    const server = readFileSync(join(src, "server", `${module}.ts`), "utf8");
    expect(server, `${name} is built by server${HELPER[kind]} or user${HELPER[kind]}`).toMatch(
      new RegExp(`export const ${name} = (server|user)${HELPER[kind]}\\(\\s*"${name}"`),
    );
  });
});
