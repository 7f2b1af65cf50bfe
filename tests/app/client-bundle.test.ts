import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

const assetsDir = fileURLToPath(new URL("../../.output/public/_build/assets/", import.meta.url));
const publicDir = fileURLToPath(new URL("../../.output/public/", import.meta.url));
/** The folder the app under test was built in (no trailing slash). */
const buildRoot = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
let assets: { name: string; text: string }[] = [];

beforeAll(async () => {
  const names = (await readdir(assetsDir)).filter((name) => /\.(js|mjs|css|map)$/.test(name));
  assets = await Promise.all(names.map(async (name) => ({ name, text: await readFile(join(assetsDir, name), "utf8") })));
});

/** Where in the client assets a needle occurs (file names), for a readable failure. */
function foundIn(needle: string | RegExp): string[] {
  return assets
    .filter(({ text }) => (typeof needle === "string" ? text.includes(needle) : needle.test(text)))
    .map(({ name }) => name);
}

describe("client assets (what the browser downloads)", () => {
  it("exist", () => {
    expect(assets.filter(({ name }) => name.endsWith(".js")).length).toBeGreaterThan(3);
  });

  it("hold no secret: not the secret key, not the admin or rls database URLs, not their names", () => {
    for (const needle of [
      inject("secretKey"),
      "sb_secret_",
      "SUPABASE_SECRET_KEY",
      "ADMIN_DATABASE_URL",
      "DATABASE_URL",
      "rls-client-test-password",
      "postgres://",
    ]) {
      expect(foundIn(needle), needle).toEqual([]);
    }
  });

  it("hold no server-only code (src/server, Drizzle, postgres.js, the server Supabase client, GoTrue admin)", () => {
    for (const needle of [
      "set_config(",
      "consume_rate_limit",
      "createServerClient",
      "drizzle-orm",
      "PostgresError",
      "claims_are_stale",
      "auth.admin",
      /src\/server\//,
      "getSupabaseServerClient",
    ]) {
      expect(foundIn(needle), String(needle)).toEqual([]);
    }
  });

  it("keep supabase-js out: only the Realtime client reaches the browser", () => {
    expect(foundIn("GoTrueClient")).toEqual([]);
    expect(foundIn("PostgrestClient")).toEqual([]);
    expect(foundIn(/realtime\/v1/).length).toBeGreaterThan(0);
  });
});

interface ManifestEntry {
  file: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
}

describe("what a page loads up front (the client build's manifest)", () => {
  let manifest: Record<string, ManifestEntry> = {};
  beforeAll(async () => {
    manifest = JSON.parse(await readFile(join(assetsDir, "../.vite/manifest.json"), "utf8"));
  });

  /** The files of the client entry plus a route's chunk, with everything they import statically. */
  function upFront(route: string): string[] {
    const entry = Object.keys(manifest).find((key) => manifest[key]?.isEntry && key.includes("handler/client"));
    const page = Object.keys(manifest).find((key) => key.startsWith(`src/routes/${route}?pick=default`));
    expect(entry, "client entry").toBeDefined();
    expect(page, route).toBeDefined();
    const seen = new Set<string>();
    const visit = (key: string) => {
      if (seen.has(key)) return;
      seen.add(key);
      for (const next of manifest[key]?.imports ?? []) visit(next);
    };
    visit(entry ?? "");
    visit(page ?? "");
    return [...seen].map((key) => manifest[key]?.file ?? key);
  }
  const text = (file: string) => assets.find(({ name }) => `assets/${name}` === file)?.text ?? "";
  // Strings only seroval (server-function serialization) and the Phoenix/Realtime client contain.
  const SEROVAL = "BigIntTypedArray";
  const REALTIME = "phx_join";

  it("pages without the feed load neither seroval nor a Realtime client; seroval is still there to import()", () => {
    for (const route of ["index.tsx", "login.tsx", "signup.tsx", "(signed-in)/protected.tsx", "(signed-in)/account/index.tsx"]) {
      const files = upFront(route);
      expect(
        files.filter((file) => text(file).includes(SEROVAL)),
        route,
      ).toEqual([]);
      expect(
        files.filter((file) => text(file).includes(REALTIME)),
        route,
      ).toEqual([]);
    }
    const lazy = Object.values(manifest).flatMap((entry) => entry.dynamicImports ?? []);
    expect(lazy.some((key) => text(manifest[key]?.file ?? "").includes(SEROVAL))).toBe(true);
  });

  it("a page loads its own features' RPC stubs up front, no other's (route preloads import theirs when they run)", () => {
    const stubs = (feature: string) => manifest[`src/features/${feature}/${feature}.api.ts`]?.file ?? `${feature}.api`;
    expect(upFront("(signed-in)/messages/index.tsx")).toContain(stubs("messages"));
    for (const route of ["index.tsx", "login.tsx", "(signed-in)/protected.tsx"]) {
      for (const feature of ["messages", "account", "conversations"]) {
        expect(upFront(route), `${route}: ${feature}.api`).not.toContain(stubs(feature));
      }
    }
  });

  it("the browser's runtime leaves out what only the server uses: the API route matcher, build imports, file paths, pathe", () => {
    const files = upFront("index.tsx");
    // radix3's router state (property names survive minification), vinxi's build-time route
    // import, the route files, pathe's drive-letter pattern.
    for (const needle of ["staticRoutesMap", /\bfilePath:/, /\bbuild:\(\)=>/, "[A-Za-z]:"]) {
      expect(
        files.filter((file) => (typeof needle === "string" ? text(file).includes(needle) : needle.test(text(file)))),
        String(needle),
      ).toEqual([]);
    }
  });

  it("are served precompressed", async () => {
    const [file] = upFront("index.tsx").filter((name) => name.includes("framework"));
    expect(file).toBeDefined();
    for (const encoding of ["gzip", "br"]) {
      const response = await fetch(new URL(`/_build/${file}`, inject("appUrl")), { headers: { "accept-encoding": encoding } });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-encoding")).toBe(encoding);
      expect((await response.text()).length).toBe(text(file ?? "").length);
    }
  });
});

describe("what a build ships does not depend on the folder it was built in", () => {
  it("no file the server hands out (assets, compressed copies, the client manifest) names that folder", async () => {
    const files = (await readdir(publicDir, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
    expect(files.length).toBeGreaterThan(10);
    const naming: string[] = [];
    for (const file of files) {
      const path = join(file.parentPath, file.name);
      // .gz/.br copies are compressed: their plain twins are read instead.
      if (/\.(gz|br)$/.test(file.name)) continue;
      if ((await readFile(path)).includes(buildRoot)) naming.push(relative(publicDir, path));
    }
    expect(naming).toEqual([]);
  });

  it("form actions (and so no-JS flash cookies) name server functions by root-relative module paths", async () => {
    const html = await (await fetch(new URL("/login", inject("appUrl")))).text();
    const actions = [...html.matchAll(/<form[^>]*action="([^"]*)"/g)].map((match) => match[1] ?? "");
    expect(actions.length).toBeGreaterThan(0);
    for (const action of actions) {
      const name = new URL(action.replaceAll("&amp;", "&"), inject("appUrl")).searchParams.get("name") ?? "";
      expect(name, action).toMatch(/^src\/features\/[\w/.-]+\.api\.ts\?/);
    }
  });
});
