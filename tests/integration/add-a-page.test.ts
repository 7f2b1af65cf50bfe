import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { appendFile, cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "local-supabase/testing";
import { type LocalApp, startLocalApp } from "../../scripts/local-env.ts";
import { createDatabase, type Database } from "../../src/server/db/client.ts";
import { declaredGrants } from "../../src/server/db/grants.ts";
import { AppClient } from "../fixtures/app-client.ts";
import { appEnvFor, projectRoot, RLS_CLIENT_PASSWORD, relaxedLimits } from "../setup/app-server.ts";
import { INVARIANTS, violations } from "./db/invariants.ts";
import { BOB, CAROL, claimsFor, pgFailure } from "./db/support.ts";

/*
 * The README's recipe, done for real: a copy of this tree gets a protected /bookmarks page with
 * its own table by editing at most four files by hand (today three: the schema with policies and
 * grants, the server module, the route); the migrations and the RPC stubs come from the generators.
 * The copy is then typechecked, linted, migrated onto a fresh cluster built without automatic
 * grants, and asked for the page, built, as its owner, another user and a signed-out visitor.
 */

const run = promisify(execFile);
const HAND_EDITED_LIMIT = 4;
/** Files generators write; anything else that changed was edited by hand. */
const GENERATED = /^supabase\/migrations\/|^src\/features\/bookmarks\/bookmarks\.(api|preload)\.ts$/;

const BOB_URL = "https://bob.example/read-later";
const CAROL_URL = "https://carol.example/secret";

const SCHEMA_ADDITION = `
export const bookmarks = pgTable(
  "bookmarks",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    ownerId: uuid("owner_id")
      .notNull()
      .default(sql\`auth.uid()\`),
    url: text("url").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    foreignKey({ columns: [table.ownerId], foreignColumns: [profiles.id], name: "bookmarks_owner_id_fkey" }).onDelete("cascade"),
    index("bookmarks_owner_id_idx").on(table.ownerId),
    pgPolicy("users read their own bookmarks", { for: "select", to: authenticatedRole, using: sql\`\${table.ownerId} = \${authUid}\` }),
    pgPolicy("users add their own bookmarks", { for: "insert", to: authenticatedRole, withCheck: sql\`\${table.ownerId} = \${authUid}\` }),
  ],
).enableRLS();

/** The owner comes from the session (the column default), never from the request. */
export const bookmarksGrants = tableGrants(bookmarks, { authenticated: { select: true, insert: [bookmarks.url] } });
`;

const SERVER_MODULE = `import { asc } from "drizzle-orm";
import { userQuery } from "~/server/boundary/server-function";
import { bookmarks } from "~/server/db/schema";

export const getBookmarks = userQuery("getBookmarks", ({ read }) =>
  read((tx) => tx.select({ id: bookmarks.id, url: bookmarks.url }).from(bookmarks).orderBy(asc(bookmarks.createdAt))),
);
`;

const ROUTE = `import { createAsync, type RouteDefinition } from "@solidjs/router";
import { For } from "solid-js";
import { Title } from "~/components/page-title";
import { getBookmarks, preload } from "~/features/bookmarks/bookmarks.api";

export const route = { preload: () => preload.getBookmarks() } satisfies RouteDefinition;

export default function BookmarksPage() {
  const bookmarks = createAsync(() => getBookmarks());
  return (
    <>
      <Title>Bookmarks</Title>
      <h1>Bookmarks</h1>
      <ul>
        <For each={bookmarks()}>{(bookmark) => <li data-testid="bookmark">{bookmark.url}</li>}</For>
      </ul>
    </>
  );
}
`;

/** Seconds each step took, printed at the end (the figures of ADR 0050). */
const timings: Record<string, number> = {};

async function timed<T>(step: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    timings[step] = Math.round((performance.now() - started) / 100) / 10;
  }
}

async function sh(copy: string, command: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(command, args, { cwd: copy, maxBuffer: 64 * 1024 * 1024, env: process.env });
    return stdout + stderr;
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(" ")} failed:\n${failure.stdout ?? ""}${failure.stderr ?? ""}${failure.message}`);
  }
}

const git = (copy: string, ...args: string[]) =>
  sh(copy, "git", ["-c", "user.name=recipe", "-c", "user.email=recipe@example.test", ...args]);

/** The tree as the developer sees it (tracked and new files, nothing ignored), without the dependencies. */
async function copyTree(): Promise<string> {
  const copy = await mkdtemp(join(tmpdir(), "add-a-page-"));
  const listed = await sh(projectRoot, "git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"]);
  const files = listed.split("\0").filter((file) => file !== "" && !/^(\.cache|node_modules)(\/|$)/.test(file));
  for (const file of files) {
    await mkdir(dirname(join(copy, file)), { recursive: true });
    await cp(join(projectRoot, file), join(copy, file), { verbatimSymlinks: true }).catch((error: NodeJS.ErrnoException) => {
      // Deleted in the working tree but still in the index.
      if (error.code !== "ENOENT") throw error;
    });
  }
  await git(copy, "init", "-q");
  await git(copy, "add", "-A");
  await git(copy, "commit", "-q", "-m", "before the page");
  await appendFile(join(copy, ".git/info/exclude"), "/node_modules\n");
  // Each package (and .bin) linked, not the folder: builds write their own state into node_modules'
  // dot folders (SolidStart's server-function manifest in .tanstack-start), and a shared one would let
  // this copy's build hand its functions, and its folder, to the app build running beside it.
  await mkdir(join(copy, "node_modules"));
  for (const entry of await readdir(join(projectRoot, "node_modules"))) {
    if (entry === ".bin" || !entry.startsWith("."))
      await symlink(join(projectRoot, "node_modules", entry), join(copy, "node_modules", entry));
  }
  return copy;
}

async function write(copy: string, file: string, text: string) {
  await mkdir(dirname(join(copy, file)), { recursive: true });
  await writeFile(join(copy, file), text);
}

async function startBuiltApp(
  copy: string,
  port: number,
  env: Record<string, string>,
): Promise<{ url: string; stop(): Promise<void> }> {
  let output = "";
  const child: ChildProcess = spawn(process.execPath, [join(copy, ".output/server/index.mjs")], {
    cwd: copy,
    env: { ...process.env, NODE_ENV: "production", HOST: "127.0.0.1", PORT: String(port), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    await once(child, "exit");
  };
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`the built app exited:\n${output}`);
    const answered = await fetch(`${url}/favicon.svg`, { signal: AbortSignal.timeout(1_000) }).then(
      () => true,
      () => false,
    );
    if (answered) break;
    if (attempt >= 300) {
      await stop();
      throw new Error(`the built app did not answer:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, stop };
}

describe("adding a protected page with its own table", () => {
  let copy: string;
  let changed: string[];
  let local: LocalApp | undefined;
  let database: Database | undefined;
  let app: { url: string; stop(): Promise<void> } | undefined;
  let appPort: number;

  beforeAll(async () => {
    copy = await timed("copy", copyTree);
    await timed("hand edits", async () => {
      await appendFile(join(copy, "src/server/db/schema.ts"), SCHEMA_ADDITION);
      await write(copy, "src/server/bookmarks/loaders.ts", SERVER_MODULE);
      await write(copy, "src/routes/(signed-in)/bookmarks.tsx", ROUTE);
    });
    await timed("db:generate", () => sh(copy, "npm", ["run", "--silent", "db:generate", "--", "--name=bookmarks"]));
    await timed("rpc:generate", () => sh(copy, "npm", ["run", "--silent", "rpc:generate"]));
    await git(copy, "add", "-A");
    changed = (await git(copy, "diff", "--cached", "--name-only")).split("\n").filter(Boolean);
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
    await database?.end();
    await local?.supabase.stop();
    if (copy) await rm(copy, { recursive: true, force: true });
    console.info(`add-a-page steps (s): ${JSON.stringify(timings)}`);
  });

  it(`takes at most ${HAND_EDITED_LIMIT} hand-edited files; the migrations and the RPC stubs are generated`, () => {
    const handEdited = changed.filter((file) => !GENERATED.test(file));
    expect(handEdited.length, handEdited.join(", ")).toBeLessThanOrEqual(HAND_EDITED_LIMIT);
    expect(changed.filter((file) => /^supabase\/migrations\/\d{14}_bookmarks(_grants)?\.sql$/.test(file))).toHaveLength(2);
    expect(changed).toEqual(
      expect.arrayContaining(["src/features/bookmarks/bookmarks.api.ts", "src/features/bookmarks/bookmarks.preload.ts"]),
    );
  });

  it("the grants migration revokes what the project's defaults give, then grants what schema.ts declares", async () => {
    const file = changed.find((name) => name.endsWith("_bookmarks_grants.sql")) ?? "";
    const text = await readFile(join(copy, file), "utf8");
    expect(text).toContain("revoke all on table public.bookmarks from public, anon, authenticated, service_role;");
    expect(text).toContain("grant select on table public.bookmarks to authenticated;");
    expect(text).toContain("grant insert (url) on table public.bookmarks to authenticated;");
  });

  it("typechecks, lints, keeps the layers and passes the migration and stub checks", async () => {
    const tsc = timed("typecheck", () => sh(copy, "npx", ["tsc", "--noEmit"]));
    const eslint = timed("lint", () => sh(copy, "npx", ["eslint", "."]));
    // The new server folder is a domain the dependency check holds to the layer rules unlisted.
    const deps = timed("deps:check", () => sh(copy, "npm", ["run", "--silent", "deps:check"]));
    await Promise.all([tsc, eslint, deps]);
    // Exits non-zero (and sh throws) when a generated stub differs from a fresh generation.
    await sh(copy, "npm", ["run", "--silent", "rpc:check"]);
    expect(await sh(copy, "npx", ["drizzle-kit", "check"])).toMatch(/Everything's fine/);
    expect(await sh(copy, "npm", ["run", "--silent", "db:grants:check"])).toMatch(/matches/);
    expect(await sh(copy, "npm", ["run", "--silent", "db:generate"])).toMatch(/No schema changes[\s\S]*Grants: no changes/);
  }, 600_000);

  it("migrates a fresh cluster without automatic grants to the declared grants and every invariant", async () => {
    appPort = await freePort();
    local = await timed("migrate and start", () =>
      startLocalApp(
        {
          workdir: copy,
          ephemeral: true,
          database: "app",
          configure: (config) => {
            config.api.auto_expose_new_tables = false;
            config.auth.site_url = `http://127.0.0.1:${appPort}`;
            relaxedLimits(config);
          },
        },
        RLS_CLIENT_PASSWORD,
      ),
    );
    const admin = postgres(local.supabase.dbUrl, { max: 1, onnotice: () => undefined });
    try {
      for (const invariant of INVARIANTS) expect(await violations(invariant, admin), invariant.name).toEqual([]);
      const rows = await admin<{ privilege: string }[]>`
        select a.privilege_type as privilege
          from pg_class c, aclexplode(c.relacl) a
         where c.oid = 'public.bookmarks'::regclass and a.grantee = 'authenticated'::regrole
        union all
        select a.privilege_type || ' (' || att.attname || ')'
          from pg_attribute att, aclexplode(att.attacl) a
         where att.attrelid = 'public.bookmarks'::regclass and a.grantee = 'authenticated'::regrole`;
      const schema = (await import(join(copy, "src/server/db/schema.ts"))) as Record<string, unknown>;
      expect(rows.map((row) => row.privilege).sort()).toEqual(declaredGrants(schema).relations.bookmarks?.authenticated);
    } finally {
      await admin.end();
    }
  }, 120_000);

  it("the policy and grants let the owner add and read, and refuse everyone else", async () => {
    if (!local) throw new Error("no cluster");
    const db = createDatabase({ url: local.env.DATABASE_URL, adminUrl: local.env.ADMIN_DATABASE_URL, max: 2 });
    database = db;
    const as = (user: string, query: ReturnType<typeof sql>) => db.rls(claimsFor(user), (tx) => tx.execute(query));
    await as(BOB, sql`insert into public.bookmarks (url) values (${BOB_URL})`);
    await as(CAROL, sql`insert into public.bookmarks (url) values (${CAROL_URL})`);
    expect(Array.from(await as(BOB, sql`select url from public.bookmarks`))).toEqual([{ url: BOB_URL }]);
    // Choosing the owner, changing or deleting a row: no grant, whatever the policies say.
    expect(await pgFailure(as(CAROL, sql`insert into public.bookmarks (owner_id, url) values (${BOB}, 'x')`))).toMatchObject({
      code: "42501",
    });
    expect(await pgFailure(as(BOB, sql`update public.bookmarks set url = 'x'`))).toMatchObject({ code: "42501" });
    expect(await pgFailure(as(BOB, sql`delete from public.bookmarks`))).toMatchObject({ code: "42501" });
  });

  it("the built page answers its owner, hides other users' rows and sends a signed-out visitor to sign in", async () => {
    if (!local) throw new Error("no cluster");
    await timed("build", () => sh(copy, process.execPath, [join(copy, "node_modules/vinxi/bin/cli.mjs"), "build"]));
    app = await timed("app start", () => startBuiltApp(copy, appPort, appEnvFor(local as LocalApp)));
    const bob = new AppClient({ base: app.url });
    await bob.signIn("bob@example.com", "password123", "/bookmarks");
    const page = await bob.follow("/bookmarks");
    expect(page.response.status).toBe(200);
    expect(page.body).toContain(BOB_URL);
    expect(page.body).not.toContain(CAROL_URL);
    const visitor = await new AppClient({ base: app.url }).request("/bookmarks");
    expect(visitor.status).toBe(302);
    expect(visitor.headers.get("location")).toBe("/login?next=%2Fbookmarks");
  }, 600_000);
});
