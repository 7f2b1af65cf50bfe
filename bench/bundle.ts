/**
 * Issue 7, target 4: client JavaScript per page, gzip, with what weighs most.
 *
 *   npx tsx bench/bundle.ts [--pages=/,/login,/protected,/messages] [--source=worktree|<ref>] [--top=8]
 *
 * Builds, side by side, the app and a bare SolidStart app (same package versions: Router +
 * FileRoutes + Suspense, one route) in temp copies, with source maps switched on (they do not
 * change the emitted code; the sourceMappingURL comment is left out of the sizes). Each page is
 * requested from the running build (signed in as bob for protected pages); the JS it loads is
 * the entry <script>, every <link rel=modulepreload>, and everything those import statically.
 * Sizes are gzip (zlib default level) per file, summed; a file's gzip bytes are shared among its
 * source modules in proportion to their minified bytes (from the source map). Chunks a page can
 * load later through a dynamic import() are listed apart.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants as zlib, gzipSync } from "node:zlib";
import { get, signIn, startApp } from "./support/app.ts";
import { buildApp } from "./support/build.ts";
import { report } from "./support/report.ts";
import { log, main, onCleanup, options } from "./support/run.ts";
import { startStack } from "./support/stack.ts";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../tests/e2e/chromium.ts";

const opts = options({ pages: "/,/login,/protected,/messages", source: "worktree", top: 8, browser: true });

/**
 * The JS files a real browser fetches for each page (load, network idle, +1 s): includes import()s
 * that run on mount (the feed's realtime client) and leaves out those waiting for an interaction.
 * Optional: skipped when Chromium is not installed or with --browser=false.
 */
async function browserLoads(base: string, cookie: string, pages: string[]): Promise<Map<string, string[]> | undefined> {
  if (!opts.browser || !existsSync(CHROMIUM_PATH)) {
    log(`browser check skipped (${opts.browser ? `no Chromium at ${CHROMIUM_PATH}` : "--browser=false"})`);
    return undefined;
  }
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
  onCleanup(() => browser.close());
  const result = new Map<string, string[]>();
  try {
    for (const page of pages) {
      const context = await browser.newContext();
      await context.addCookies(
        cookie
          .split("; ")
          .filter(Boolean)
          .map((pair) => ({ name: pair.slice(0, pair.indexOf("=")), value: pair.slice(pair.indexOf("=") + 1), url: base })),
      );
      const tab = await context.newPage();
      const scripts = new Set<string>();
      tab.on("request", (request) => {
        const url = new URL(request.url());
        if (url.origin === base && url.pathname.endsWith(".js")) scripts.add(url.pathname);
      });
      await tab.goto(`${base}${page}`, { waitUntil: "networkidle", timeout: 15_000 }).catch(() => tab.waitForTimeout(2_000));
      await tab.waitForTimeout(1_000);
      result.set(page, [...scripts]);
      await context.close();
    }
  } finally {
    await browser.close();
  }
  return result;
}

// Source maps only attribute bytes to modules: they do not change the emitted code.
const SOURCEMAPS = (text: string) => text.replace("build: { rollupOptions:", "build: { sourcemap: true, rollupOptions:");

/** A bare SolidStart 1.x app: the project's entries, a Router with FileRoutes, one route. */
const BARE: Record<string, string> = {
  "app.config.ts": `import { defineConfig } from "@solidjs/start/config";\nexport default defineConfig({ vite: { build: { sourcemap: true } }, server: { preset: "node-server" } });\n`,
  "src/app.tsx": `import { Router } from "@solidjs/router";
import { FileRoutes } from "@solidjs/start/router";
import { Suspense } from "solid-js";

export default function App() {
  return (
    <Router root={(props) => <Suspense>{props.children}</Suspense>}>
      <FileRoutes />
    </Router>
  );
}
`,
  "src/routes/index.tsx": `export default function Home() {\n  return <h1>Hello world!</h1>;\n}\n`,
  "src/entry-client.tsx": `// @refresh reload\nimport { mount, StartClient } from "@solidjs/start/client";\n\nmount(() => <StartClient />, document.getElementById("app") as HTMLElement);\n`,
  "src/entry-server.tsx": `// @refresh reload
import { createHandler, StartServer } from "@solidjs/start/server";

export default createHandler(() => (
  <StartServer
    document={({ assets, children, scripts }) => (
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          {assets}
        </head>
        <body>
          <div id="app">{children}</div>
          {scripts}
        </body>
      </html>
    )}
  />
));
`,
  "src/global.d.ts": `/// <reference types="@solidjs/start/env" />\n`,
};

interface Chunk {
  file: string;
  gzip: number;
  /** Brotli (max quality), as the app serves its precompressed copies to browsers that accept it. */
  brotli: number;
  raw: number;
  imports: string[];
  dynamicImports: string[];
  /** Minified bytes per source module group. */
  sources: Map<string, number>;
}

const VLQ = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function decodeVlq(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = VLQ.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

/** "solid-js", "@solidjs/router", "src/components/x.tsx", ... */
function moduleGroup(source: string): string {
  const path = source.replace(/\\/g, "/");
  const inModules = path.lastIndexOf("node_modules/");
  if (inModules >= 0) {
    const rest = path.slice(inModules + "node_modules/".length).split("/");
    return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? path);
  }
  const inSrc = path.indexOf("src/");
  if (inSrc >= 0) return path.slice(inSrc);
  return path.replace(/^(\.\.\/)+/, "");
}

/** Minified bytes of `code` per source module, from its source map. */
function attribute(code: string, map: { sources: string[]; mappings: string }): Map<string, number> {
  const result = new Map<string, number>();
  const add = (key: string, bytes: number) => result.set(key, (result.get(key) ?? 0) + bytes);
  const lines = code.split("\n");
  const mappingLines = map.mappings.split(";");
  let source = 0;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? "";
    let column = 0;
    let lastColumn = 0;
    let lastSource = -1;
    for (const segment of (mappingLines[index] ?? "").split(",")) {
      if (!segment) continue;
      const values = decodeVlq(segment);
      column += values[0] ?? 0;
      add(
        lastSource >= 0 ? moduleGroup(map.sources[lastSource] ?? "?") : "(unmapped)",
        Buffer.byteLength(line.slice(lastColumn, column)),
      );
      if (values.length >= 4) {
        source += values[1] ?? 0;
        lastSource = source;
      } else lastSource = -1;
      lastColumn = column;
    }
    add(
      lastSource >= 0 ? moduleGroup(map.sources[lastSource] ?? "?") : "(unmapped)",
      Buffer.byteLength(line.slice(lastColumn)) + 1,
    );
  }
  return result;
}

function loadChunks(publicDir: string) {
  const cache = new Map<string, Chunk>();
  return function chunk(href: string): Chunk {
    const cached = cache.get(href);
    if (cached) return cached;
    const path = join(publicDir, href);
    const full = readFileSync(path, "utf8");
    const code = full.replace(/\n?\/\/# sourceMappingURL=[^\n]*\s*$/, "");
    const base = href.slice(0, href.lastIndexOf("/") + 1);
    const resolve = (relative: string) => new URL(relative, `http://x${base}`).pathname;
    const imports = [
      ...code.matchAll(/(?:^|[;}\s])(?:import|export)\s*(?:[\w$*{}\s,]*?from\s*)?["'](\.\.?\/[^"']+\.js)["']/g),
    ].map((m) => resolve(m[1] ?? ""));
    const dynamicImports = [...code.matchAll(/import\(\s*["'](\.\.?\/[^"']+\.js)["']\s*\)/g)].map((m) => resolve(m[1] ?? ""));
    const mapPath = `${path}.map`;
    const sources = existsSync(mapPath)
      ? attribute(code, JSON.parse(readFileSync(mapPath, "utf8")) as { sources: string[]; mappings: string })
      : new Map([["(no source map)", Buffer.byteLength(code)]]);
    const result: Chunk = {
      file: href,
      gzip: gzipSync(code).length,
      brotli: brotliCompressSync(code, { params: { [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY } }).length,
      raw: Buffer.byteLength(code),
      imports,
      dynamicImports,
      sources,
    };
    cache.set(href, result);
    return result;
  };
}

interface PageJs {
  page: string;
  /** What the page loads up front: entry, modulepreloads, their static imports. */
  files: Chunk[];
  /** Non-route chunks the page's code can import() later (e.g. a lazily loaded realtime client). */
  lazy: Chunk[];
  eager: number;
  /** eager + lazy: what the page can load without navigating. */
  gzip: number;
  modules: Map<string, number>;
}

/** Chunks reachable from `roots` by static imports (and by import() too when `dynamic`). */
function closure(
  roots: Iterable<string>,
  chunk: (href: string) => Chunk,
  skip = new Set<string>(),
  dynamic = false,
): Set<string> {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length) {
    const href = queue.shift() ?? "";
    if (seen.has(href) || skip.has(href)) continue;
    seen.add(href);
    queue.push(...chunk(href).imports, ...(dynamic ? chunk(href).dynamicImports : []));
  }
  return seen;
}

function pageJs(page: string, html: string, chunk: (href: string) => Chunk): PageJs {
  // Only the page's own tags count, not the hrefs of every route inside window.manifest.
  const roots = [
    ...[...html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+\.js)"/g)].map((m) => m[1] ?? ""),
    ...[...html.matchAll(/<link[^>]*href="([^"]+\.js)"[^>]*rel="modulepreload"/g)].map((m) => m[1] ?? ""),
    ...[...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+\.js)"/g)].map((m) => m[1] ?? ""),
  ];
  const eagerSet = closure(new Set(roots), chunk);
  // Route chunks (window.manifest "output"s) load on navigation only: not this page's weight.
  const routeChunks = new Set([...html.matchAll(/"output":"([^"]+\.js)"/g)].map((m) => m[1] ?? ""));
  const dynamic = new Set([...eagerSet].flatMap((href) => chunk(href).dynamicImports));
  const lazySet = closure(dynamic, chunk, new Set([...eagerSet, ...routeChunks]), true);
  const files = [...eagerSet].map(chunk);
  const lazy = [...lazySet].map(chunk);
  const modules = new Map<string, number>();
  for (const file of [...files, ...lazy]) {
    for (const [name, bytes] of file.sources) modules.set(name, (modules.get(name) ?? 0) + (file.gzip * bytes) / file.raw);
  }
  const eager = files.reduce((sum, file) => sum + file.gzip, 0);
  return { page, files, lazy, eager, gzip: eager + lazy.reduce((sum, file) => sum + file.gzip, 0), modules };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

await main(420, async () => {
  const stack = await startStack(2);
  const [appDir, bareDir] = await Promise.all([
    buildApp({ source: opts.source, label: "bundle", patch: { "app.config.ts": SOURCEMAPS } }),
    buildApp({ source: opts.source, label: "bare", copy: ["package.json", "tsconfig.json"], add: BARE }),
  ]);
  const [portApp, portBare] = stack.appPorts as [number, number];
  const app = await startApp(stack, appDir, portApp);
  const bare = await startApp(stack, bareDir, portBare);
  const cookie = await signIn(app.url);

  const bareHtml = await get(`${bare.url}/`);
  if (bareHtml.status !== 200) throw new Error(`bare app: ${bareHtml.status}`);
  const bareChunk = loadChunks(join(bareDir, ".output/public"));
  const barePage = pageJs("bare /", bareHtml.body, bareChunk);
  const chunk = loadChunks(join(appDir, ".output/public"));

  const results: PageJs[] = [];
  for (const page of opts.pages.split(",")) {
    const response = await get(`${app.url}${page}`, { cookie });
    if (response.status !== 200) throw new Error(`${page}: ${response.status}`);
    results.push(pageJs(page, response.body, chunk));
  }

  const describePage = (result: PageJs) => {
    const lazyNote = result.lazy.length ? ` + ${kb(result.gzip - result.eager)} loaded later by import()` : "";
    console.log(`\n${result.page}: ${kb(result.eager)} gzip JS up front in ${result.files.length} files${lazyNote}`);
    for (const file of [...result.files, ...result.lazy].sort((a, b) => b.gzip - a.gzip)) {
      const inside = [...file.sources].sort((a, b) => b[1] - a[1]).slice(0, 4);
      const parts =
        file.gzip >= 2048 ? `: ${inside.map(([name, bytes]) => `${name} ${kb((file.gzip * bytes) / file.raw)}`).join(", ")}` : "";
      const lazy = result.lazy.includes(file) ? " [import()]" : "";
      console.log(
        `   ${kb(file.gzip).padStart(8)}  ${file.file.replace("/_build/assets/", "")}${lazy} (${kb(file.raw)} raw)${parts}`,
      );
    }
    console.log("   heaviest modules (gzip share):");
    for (const [name, bytes] of [...result.modules].sort((a, b) => b[1] - a[1]).slice(0, opts.top)) {
      console.log(`   ${kb(bytes).padStart(8)}  ${name}`);
    }
  };
  const pages = results.map((result) => result.page);
  const inBrowser = await browserLoads(app.url, cookie, pages);
  const bareInBrowser = inBrowser ? await browserLoads(bare.url, "", ["/"]) : undefined;
  const sum = (files: string[], load: (href: string) => Chunk, size: "gzip" | "brotli") =>
    files.reduce((total, href) => total + load(href)[size], 0);
  const loaded = (result: PageJs, browser: Map<string, string[]> | undefined) =>
    browser?.get(result.page) ?? [...result.files, ...result.lazy].map((file) => file.file);

  describePage(barePage);
  for (const result of results) describePage(result);

  const measuredBy = inBrowser ? "fetched by Chromium on load" : "up front + import() of non-route chunks (static analysis)";
  const bareFiles = loaded(barePage, bareInBrowser && new Map([["bare /", bareInBrowser.get("/") ?? []]]));
  console.log(`\nClient JS per page, gzip (brotli beside it), ${measuredBy}; baseline: a bare SolidStart page (same packages):`);
  for (const result of results) {
    const supabase = [...result.modules]
      .filter(([name]) => name.startsWith("@supabase/"))
      .reduce((total, [, bytes]) => total + bytes, 0);
    const files = loaded(result, inBrowser);
    const size = sum(files, chunk, "gzip");
    const feed = result.page.startsWith("/messages");
    const budget = feed ? 45 * 1024 : 25 * 1024;
    report({
      name: `T4 ${result.page}${supabase ? ` (@supabase/* ${kb(supabase)})` : ""} (brotli: ${kb(sum(files, chunk, "brotli"))})`,
      baselineLabel: "bare SolidStart",
      baseline: sum(bareFiles, bareChunk, "gzip") / 1024,
      ours: size / 1024,
      unit: "KB",
      target: feed ? "<= 45 KB" : "<= 25 KB, no supabase-js",
      met: size <= budget && (feed || supabase === 0),
    });
  }
});
