import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import { beforeAll, describe, expect, it } from "vitest";

/*
 * The boundaries in eslint.config.js, run through ESLint as `npm run lint` runs them, on code that
 * crosses each one and on code that may. The files need not exist: ESLint lints the text as if it
 * were at that path.
 */
const root = fileURLToPath(new URL("../..", import.meta.url));
const RULE = "local/import-boundaries";

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

async function crossings(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}${filePath}` });
  if (!result) throw new Error(`no lint result for ${filePath}`);
  const fatal = result.messages.filter((message) => message.fatal);
  if (fatal.length > 0) throw new Error(`${filePath}: ${fatal.map((message) => message.message).join("; ")}`);
  return result.messages.filter((message) => message.ruleId === RULE).map((message) => message.message);
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
  ["client-to-server", "src/features/messages/example.ts", 'export { isProtectedPath } from "~/server/auth/protected-paths";\n'],
  ["client-to-server", "src/app.tsx", 'import "~/middleware";\n'],
  ["client-to-server", "src/entry-client.tsx", 'export async function f() {\n  return import("~/server/env");\n}\n'],
  ["page-to-server", "src/routes/example.tsx", 'import { requireUser } from "~/server/auth/guards";\nrequireUser();\n'],
  [
    "page-to-server",
    "src/routes/nested/example.tsx",
    'import { GET } from "../(signed-in)/messages/direct/open";\nexport const g = GET;\n',
  ],
  ["rpc-static-server", "src/features/messages/example.api.ts", 'import { serverEnv } from "~/server/env";\nserverEnv();\n'],
  [
    "server-to-ui",
    "src/server/messages/example.ts",
    'import { getFeed } from "~/features/messages/messages.api";\nexport const f = getFeed;\n',
  ],
  [
    "server-to-ui",
    "src/server/example.ts",
    'import type { FeedCursor } from "../features/messages/example";\nexport type C = FeedCursor;\n',
  ],
  [
    "app-to-local-supabase",
    "src/server/example.ts",
    'import { startLocalSupabase } from "@solidstart-supabase/local-supabase";\nexport const s = startLocalSupabase;\n',
  ],
  ["app-to-local-supabase", "src/lib/example.ts", 'import "../../packages/local-supabase/src/config";\n'],
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
    'import { useTestDatabase } from "../../../tests/fixtures/database.ts";\nuseTestDatabase();\n',
  ],
  [
    "local-supabase-to-outside",
    "packages/local-supabase/src/example.ts",
    'import { withDatabaseUser } from "../../../scripts/local-env.ts";\nwithDatabaseUser("", "", "");\n',
  ],
];

const allowed: [file: string, code: string][] = [
  ["src/lib/example.ts", 'import { isUsername } from "~/lib/domain/username";\nisUsername("a");\n'],
  ["src/features/messages/example.tsx", 'import { getFeed } from "./messages.api";\nexport const f = getFeed;\n'],
  ["src/routes/example.tsx", 'import { getFeed } from "~/features/messages/messages.api";\nexport const f = getFeed;\n'],
  ["src/routes/example.ts", 'import { requireUser } from "~/server/auth/guards";\nrequireUser();\n'],
  [
    "src/features/messages/example.api.ts",
    'import type { Database } from "~/server/db/client";\nexport type D = Database;\nexport async function f() {\n  "use server";\n  return (await import("~/server/messages/loaders")).conversations();\n}\n',
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
  ["src/middleware.ts", 'import { serverEnv } from "~/server/env";\nserverEnv();\n'],
  [
    "tests/app/example.test.ts",
    'import { startLocalSupabase } from "@solidstart-supabase/local-supabase";\nexport const s = startLocalSupabase;\n',
  ],
  [
    "scripts/example.ts",
    'import { startLocalSupabase } from "@solidstart-supabase/local-supabase";\nexport const s = startLocalSupabase;\n',
  ],
  [
    "packages/local-supabase/src/example.ts",
    'import { readConfig } from "./config";\nimport { jwtVerify } from "jose";\nexport const r = [readConfig, jwtVerify];\n',
  ],
];

describe("import boundaries (eslint.config.js)", () => {
  it.each(violations)("%s: refuses the import in %s", async (boundary, file, code) => {
    const found = await crossings(file, code);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(`boundary "${boundary}"`);
  });

  it.each(allowed)("lets %s import what it may", async (file, code) => {
    expect(await crossings(file, code)).toEqual([]);
  });

  it("has a violation case for every declared boundary", async () => {
    const config = (await eslint.calculateConfigForFile(`${root}src/lib/example.ts`)) as {
      rules: Record<string, [unknown, { boundaries: { name: string }[] }]>;
    };
    const declared = config.rules[RULE]?.[1].boundaries.map((boundary) => boundary.name) ?? [];
    expect(declared.length).toBeGreaterThan(0);
    expect(new Set(violations.map(([boundary]) => boundary))).toEqual(new Set(declared));
  });
});
