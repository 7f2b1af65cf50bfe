import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { cruise, type IConfiguration } from "dependency-cruiser";
import { ESLint } from "eslint";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/*
 * The boundaries in eslint.config.js and the graph rules in .dependency-cruiser.mjs, each run as
 * `npm test` runs it, on code that breaks it and on code that may. ESLint lints text as if it were
 * at a path, so those files need not exist (what they import must). dependency-cruiser reads files,
 * so its cases are small trees written to a temporary folder.
 */
const root = fileURLToPath(new URL("../..", import.meta.url));
/** The local Supabase package's name, whatever it is: the app may import it by no name. */
const localSupabase = (
  JSON.parse(readFileSync(path.join(root, "packages/local-supabase/package.json"), "utf8")) as { name: string }
).name;

let eslint: ESLint;
// The first lint loads the parsers, the plugins and the TypeScript resolver: seconds on a busy
// machine, which would otherwise fall on the first case's time limit.
beforeAll(async () => {
  eslint = new ESLint({ cwd: root });
  await eslint.lintText('import "~/lib/static-paths";\n', { filePath: path.join(root, "src/lib/example.ts") });
}, 60_000);

/**
 * The boundary names in the messages of the import rules, e.g. "client-to-server", each once: the
 * local Supabase package by name is refused by its path and by its name.
 */
async function crossings(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, filePath) });
  if (!result) throw new Error(`no lint result for ${filePath}`);
  const fatal = result.messages.filter((message) => message.fatal);
  if (fatal.length > 0) throw new Error(`${filePath}: ${fatal.map((message) => message.message).join("; ")}`);
  const names = result.messages.flatMap((message) => {
    if (message.ruleId === "import-x/no-nodejs-modules") return ["client-to-node"];
    if (message.ruleId !== "import-x/no-restricted-paths" && message.ruleId !== "no-restricted-imports") return [];
    return [/\[([a-z-]+)\]/.exec(message.message)?.[1] ?? message.message];
  });
  return [...new Set(names)];
}

type Case = [boundary: string, file: string, code: string];

const violations: Case[] = [
  ["client-to-server", "src/lib/example.ts", 'import { serverEnv } from "~/server/env";\nserverEnv();\n'],
  ["client-to-server", "src/components/example.tsx", 'import { serverEnv } from "../server/env";\nserverEnv();\n'],
  [
    "client-to-server",
    "src/features/messages/example.tsx",
    'import type { Database } from "~/server/db/client";\nexport type D = Database;\n',
  ],
  [
    "client-to-server",
    "src/features/messages/example.ts",
    'export { isProtectedPath } from "~/server/session/protected-paths";\n',
  ],
  ["client-to-server", "src/app.tsx", 'import "~/middleware";\n'],
  ["client-to-server", "src/site-layout.tsx", 'import { getClaims } from "~/server/session/guards";\ngetClaims();\n'],
  ["client-to-server", "src/entry-client.tsx", 'export async function f() {\n  return import("~/server/env");\n}\n'],
  ["page-to-server", "src/routes/example.tsx", 'import { requireUser } from "~/server/session/guards";\nrequireUser();\n'],
  [
    "page-to-server",
    "src/routes/nested/example.tsx",
    'import { GET } from "../(signed-in)/messages/direct/open";\nexport const g = GET;\n',
  ],
  ["rpc-static-server", "src/features/messages/example.api.ts", 'import { serverEnv } from "~/server/env";\nserverEnv();\n'],
  [
    "rpc-static-server",
    "src/features/auth/example.api.ts",
    'import { getClaims } from "../../server/session/guards";\ngetClaims();\n',
  ],
  [
    "server-to-ui",
    "src/server/messages/example.ts",
    'import { getFeed } from "~/features/messages/messages.api";\nexport const f = getFeed;\n',
  ],
  [
    "server-to-ui",
    "src/server/example.ts",
    'import type { PendingList } from "../features/messages/pending-list";\nexport type P = typeof PendingList;\n',
  ],
  [
    "server-to-ui",
    "src/server/session/example.ts",
    'import { SubmissionError } from "~/components/form-status";\nexport const s = SubmissionError;\n',
  ],
  [
    "lib-to-ui",
    "src/lib/domain/example.ts",
    'import type { OutboxEntry } from "~/features/messages/outbox";\nexport type E = OutboxEntry;\n',
  ],
  ["lib-to-ui", "src/lib/example.ts", 'import { Notice } from "../components/form-status";\nexport const n = Notice;\n'],
  ["lib-to-ui", "src/lib/example.ts", 'export async function f() {\n  return import("~/routes/login");\n}\n'],
  [
    "components-to-features",
    "src/components/example.tsx",
    'import { getCurrentUser } from "~/features/auth/auth.api";\nexport const g = getCurrentUser;\n',
  ],
  [
    "components-to-features",
    "src/components/example.tsx",
    'import SiteLayout from "~/site-layout";\nexport const s = SiteLayout;\n',
  ],
  ["feature-to-app", "src/features/messages/example.tsx", 'import Login from "~/routes/login";\nexport const l = Login;\n'],
  ["feature-to-app", "src/features/auth/example.ts", 'import App from "../../app";\nexport const a = App;\n'],
  [
    "feature-to-feature",
    "src/features/messages/example.tsx",
    'import { followOtherTabs } from "~/features/auth/follow-other-tabs";\nexport const f = followOtherTabs;\n',
  ],
  [
    "feature-to-feature",
    "src/features/auth/example.ts",
    'import type { OutboxEntry } from "../messages/outbox";\nexport type E = OutboxEntry;\n',
  ],
  ["client-to-server-package", "src/lib/example.ts", 'import postgres from "postgres";\nexport const p = postgres;\n'],
  [
    "client-to-server-package",
    "src/features/messages/example.tsx",
    'import { drizzle } from "drizzle-orm/postgres-js";\nexport const d = drizzle;\n',
  ],
  [
    "client-to-server-package",
    "src/components/example.tsx",
    'import { createClient } from "@supabase/supabase-js";\nexport const c = createClient;\n',
  ],
  ["client-to-server-package", "src/routes/example.tsx", 'export async function f() {\n  return import("postgres");\n}\n'],
  ["client-to-node", "src/lib/example.ts", 'import { readFileSync } from "node:fs";\nexport const r = readFileSync;\n'],
  ["client-to-node", "src/features/messages/example.ts", 'export async function f() {\n  return import("crypto");\n}\n'],
  [
    "client-server-client",
    "src/lib/example.ts",
    'import { createServerClient } from "@supabase/ssr";\nexport const c = createServerClient;\n',
  ],
  ["app-to-local-supabase", "src/server/example.ts", `import * as local from "${localSupabase}";\nexport const l = local;\n`],
  ["app-to-local-supabase", "src/lib/example.ts", 'import "../../packages/local-supabase/src/config";\n'],
  ["app-to-local-supabase", "src/features/messages/example.api.ts", `import "${localSupabase}/cli";\n`],
  [
    "local-supabase-to-outside",
    "packages/local-supabase/src/example.ts",
    'import { isUsername } from "../../../src/lib/domain/username";\nisUsername("a");\n',
  ],
  [
    "local-supabase-to-outside",
    "packages/local-supabase/src/example.ts",
    'import { isUsername } from "~/lib/domain/username";\nisUsername("a");\n',
  ],
  [
    "local-supabase-to-outside",
    "packages/local-supabase/tests/example.test.ts",
    'import { adminClient } from "../../../tests/fixtures/admin.ts";\nadminClient();\n',
  ],
  [
    "local-supabase-to-outside",
    "packages/local-supabase/src/example.ts",
    'import { withDatabaseUser } from "../../../scripts/local-env.ts";\nwithDatabaseUser("", "", "");\n',
  ],
];

const allowed: [file: string, code: string][] = [
  ["src/lib/example.ts", 'import { isUsername } from "~/lib/domain/username";\nisUsername("a");\n'],
  ["src/lib/example.ts", 'import { RealtimeClient } from "@supabase/realtime-js";\nexport const r = RealtimeClient;\n'],
  ["src/lib/example.ts", 'import { createBrowserClient } from "@supabase/ssr";\nexport const c = createBrowserClient;\n'],
  ["src/features/messages/example.tsx", 'import { getFeed } from "./messages.api";\nexport const f = getFeed;\n'],
  [
    "src/features/messages/example.tsx",
    'import { SubmissionError } from "~/components/form-status";\nexport const s = SubmissionError;\n',
  ],
  [
    "src/features/auth/example.ts",
    'import { getRealtimeAccess } from "~/features/messages/messages.api";\nexport const g = getRealtimeAccess;\n',
  ],
  ["src/components/example.tsx", 'import { TextField } from "./form-field";\nexport const t = TextField;\n'],
  [
    "src/site-layout.tsx",
    'import { followOtherTabs } from "~/features/auth/follow-other-tabs";\nexport const f = followOtherTabs;\n',
  ],
  ["src/routes/example.tsx", 'import { getFeed } from "~/features/messages/messages.api";\nexport const f = getFeed;\n'],
  ["src/routes/example.ts", 'import { requireUser } from "~/server/session/guards";\nrequireUser();\n'],
  [
    "src/features/messages/example.api.ts",
    'import type { Database } from "~/server/db/client";\nexport type D = Database;\nexport async function f() {\n  "use server";\n  return (await import("~/server/messages/loaders")).getFeed();\n}\n',
  ],
  [
    // The generated stubs' form (ADR 0049): the server module's types, its code only inside the body.
    "src/features/messages/example.api.ts",
    'import type * as Loaders from "~/server/messages/loaders";\nexport async function getFeed(...args: Parameters<typeof Loaders.getFeed>) {\n  "use server";\n  return (await import("~/server/messages/loaders")).getFeed(...args);\n}\n',
  ],
  [
    "src/server/messages/example.ts",
    'import { FEED_PAGE_SIZE } from "~/lib/domain/messages";\nexport const n = FEED_PAGE_SIZE;\n',
  ],
  [
    "src/server/db/example.ts",
    'import postgres from "postgres";\nimport { readFileSync } from "node:fs";\nimport { createClient } from "@supabase/supabase-js";\nexport const s = [postgres, readFileSync, createClient];\n',
  ],
  ["src/middleware.ts", 'import { serverEnv } from "~/server/env";\nserverEnv();\n'],
  ["tests/app/example.test.ts", `import * as local from "${localSupabase}";\nexport const l = local;\n`],
  ["scripts/example.ts", `import * as local from "${localSupabase}";\nexport const l = local;\n`],
  [
    "packages/local-supabase/src/example.ts",
    'import { readConfig } from "./config";\nimport { jwtVerify } from "jose";\nexport const r = [readConfig, jwtVerify];\n',
  ],
];

describe("import boundaries (eslint.config.js)", () => {
  it.each(violations)("%s: refuses the import in %s", async (boundary, file, code) => {
    expect(await crossings(file, code)).toEqual([boundary]);
  });

  it.each(allowed)("lets %s import what it may", async (file, code) => {
    expect(await crossings(file, code)).toEqual([]);
  });

  it("has a violation case for every declared boundary", async () => {
    const declared = new Set<string>(["client-to-node"]);
    for (const file of ["src/lib/example.ts", "src/features/messages/example.api.ts"]) {
      const config = (await eslint.calculateConfigForFile(path.join(root, file))) as { rules: Record<string, unknown> };
      for (const match of JSON.stringify(config.rules).matchAll(/\[([a-z-]+)\] /g)) declared.add(match[1] ?? "");
    }
    expect(declared.size).toBeGreaterThan(10);
    expect(new Set(violations.map(([boundary]) => boundary))).toEqual(declared);
  });
});

describe("dependency graph (.dependency-cruiser.mjs)", () => {
  let scratch: string;
  let dependencyRules: IConfiguration;
  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), "dependency-rules-"));
    const configFile = pathToFileURL(path.join(root, ".dependency-cruiser.mjs")).href;
    dependencyRules = ((await import(configFile)) as { default: IConfiguration }).default;
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  /** The names of the rules a tree of files breaks, as `npm run deps:check` runs them. */
  async function broken(name: string, files: Record<string, string>): Promise<string[]> {
    const base = path.join(scratch, name);
    for (const [file, code] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(base, file)), { recursive: true });
      writeFileSync(path.join(base, file), code);
    }
    const { options, ...ruleSet } = dependencyRules;
    const tops = [...new Set(Object.keys(files).map((file) => file.split("/")[0] ?? file))];
    // The fixtures import by relative paths; the `~/` alias needs the repository's tsconfig.
    const result = await cruise(tops, { ...options, tsConfig: undefined, baseDir: base, ruleSet, validate: true });
    if (typeof result.output === "string") throw new Error(result.output);
    return [...new Set(result.output.summary.violations.map((violation) => violation.rule.name))].sort();
  }

  /** A module of layer `from` importing one of layer `to`. */
  const arrow = (from: string, to: string) => ({
    [from]: `import { x } from "${path.posix.relative(path.posix.dirname(from), to).replace(/^(?!\.)/, "./")}";\nexport const y = x;\n`,
    [to]: "export const x = 1;\n",
  });

  it.each([
    ["base-imports-above", "src/server/env.ts", "src/server/db/client.ts"],
    ["base-imports-above", "src/server/security/headers.ts", "src/server/session/guards.ts"],
    ["db-imports-above", "src/server/db/client.ts", "src/server/session/session.ts"],
    ["session-imports-above", "src/server/session/guards.ts", "src/server/boundary/server-function-request.ts"],
    ["session-imports-above", "src/server/session/supabase.ts", "src/server/auth/two-factor.ts"],
    ["boundary-imports-above", "src/server/boundary/server-function.ts", "src/server/messages/loaders.ts"],
    ["boundary-imports-above", "src/server/boundary/server-function.ts", "src/server/home/loaders.ts"],
    ["domains-import-entry-points", "src/server/messages/loaders.ts", "src/middleware.ts"],
    ["domains-import-entry-points", "src/server/bookmarks/loaders.ts", "src/routes/api/x.ts"],
    ["auth-imports-other-domains", "src/server/auth/actions.ts", "src/server/account/profile.ts"],
    ["domains-import-each-other", "src/server/messages/commands.ts", "src/server/account/security.ts"],
    ["domains-import-each-other", "src/server/home/loaders.ts", "src/server/messages/loaders.ts"],
    // A new feature's folder is a domain with no entry in the config: it is held to the same rules.
    ["boundary-imports-above", "src/server/boundary/server-function.ts", "src/server/bookmarks/loaders.ts"],
    ["auth-imports-other-domains", "src/server/auth/actions.ts", "src/server/bookmarks/loaders.ts"],
    ["domains-import-each-other", "src/server/bookmarks/loaders.ts", "src/server/messages/feed.ts"],
  ])("%s: refuses %s importing %s", async (rule, from, to) => {
    expect(await broken(`${rule}-${path.basename(from)}-${path.basename(to)}`, arrow(from, to))).toEqual([rule]);
  });

  it.each([
    ["src/server/db/client.ts", "src/server/env.ts"],
    ["src/server/session/session.ts", "src/server/db/client.ts"],
    ["src/server/boundary/server-function.ts", "src/server/session/guards.ts"],
    ["src/server/account/security.ts", "src/server/auth/two-factor.ts"],
    ["src/server/messages/commands.ts", "src/server/messages/feed.ts"],
    ["src/server/bookmarks/loaders.ts", "src/server/boundary/server-function.ts"],
    ["src/server/bookmarks/loaders.ts", "src/server/auth/two-factor.ts"],
    ["src/middleware.ts", "src/server/boundary/server-function-request.ts"],
  ])("lets %s import %s", async (from, to) => {
    expect(await broken(`allowed-${path.basename(from)}-${path.basename(to)}`, arrow(from, to))).toEqual([]);
  });

  it("refuses a cycle of files, in the app and in the package", async () => {
    const cycle = (a: string, b: string) => ({
      [a]: `import { b } from "./${path.basename(b, ".ts")}";\nexport const a = () => b;\n`,
      [b]: `import { a } from "./${path.basename(a, ".ts")}";\nexport const b = () => a;\n`,
    });
    expect(await broken("cycle-app", cycle("src/features/messages/a.ts", "src/features/messages/b.ts"))).toEqual(["no-circular"]);
    expect(await broken("cycle-package", cycle("packages/local-supabase/src/a.ts", "packages/local-supabase/src/b.ts"))).toEqual([
      "no-circular",
    ]);
    // A lazy import() is still an arrow: the module it loads may not import its loader back.
    expect(
      await broken("cycle-dynamic", {
        "src/lib/a.ts": 'export const a = () => import("./b");\n',
        "src/lib/b.ts": 'import { a } from "./a";\nexport const b = a;\n',
      }),
    ).toEqual(["no-circular"]);
    // Only types going back is no cycle once compiled: objects that hold each other may say so.
    expect(
      await broken("types-back", {
        "src/lib/a.ts": 'import type { B } from "./b";\nexport interface A { b: B }\n',
        "src/lib/b.ts": 'import type { A } from "./a";\nexport interface B { a: A }\n',
      }),
    ).toEqual([]);
  });

  it("lets a feature's generated preload load its api file lazily, and nothing else close a loop through it", async () => {
    const preloadLoop = {
      "src/features/notes/notes.api.ts": 'export { preload } from "./notes.preload";\nexport const getNotes = () => 1;\n',
      "src/features/notes/notes.preload.ts": 'export const preload = { getNotes: () => import("./notes.api") };\n',
    };
    expect(await broken("preload-loop", preloadLoop)).toEqual([]);
    expect(
      await broken("preload-static-loop", {
        ...preloadLoop,
        "src/features/notes/notes.preload.ts": 'import { getNotes } from "./notes.api";\nexport const preload = { getNotes };\n',
      }),
    ).toEqual(["no-circular-through-preload"]);
  });

  it("refuses an import it cannot follow, which would hide what lies behind it", async () => {
    expect(await broken("unresolvable", { "src/lib/a.ts": 'import { b } from "./missing";\nexport const a = b;\n' })).toEqual([
      "not-to-unresolvable",
    ]);
  });

  it("refuses a cycle of folders", async () => {
    expect(
      await broken("folder-cycle", {
        "src/lib/one/a.ts": 'import { d } from "../two/d";\nexport const a = d;\n',
        "src/lib/one/b.ts": "export const b = 1;\n",
        "src/lib/two/c.ts": 'import { b } from "../one/b";\nexport const c = b;\n',
        "src/lib/two/d.ts": "export const d = 1;\n",
      }),
    ).toEqual(["no-circular-folders"]);
  });
});
