import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath, URL } from "node:url";
import js from "@eslint/js";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";
import importX from "eslint-plugin-import-x";
import solid from "eslint-plugin-solid/configs/typescript";
import tseslint from "typescript-eslint";

/*
 * The project's parts and the imports between them that must never happen (ADR 0051). Zones are
 * globs over resolved paths from the repository root, so `~/server/x`, `../server/x`, a dynamic
 * `import()`, a package's subpath and a workspace package imported by any name are all caught.
 * Each message starts with the zone's name: tests/unit/import-boundaries.test.ts proves every zone
 * with a file that crosses it.
 */
const root = fileURLToPath(new URL(".", import.meta.url));

/** The app shell: the root component, the layout around every page, the browser entry. */
const SHELL = "src/{app,site-layout,entry-client}.tsx";
/** Code that runs in the browser: everything but the RPC files (*.api.ts) and API routes (*.ts). */
const CLIENT = ["src/lib/**", "src/components/**", "src/features/**/!(*.api).{ts,tsx}", "src/routes/**/*.tsx", SHELL];
const SERVER_ONLY = ["src/server/**", "src/{middleware.ts,entry-server.tsx}", "src/routes/**/*.ts"];
const UI = ["src/features/**", "src/components/**", "src/routes/**", SHELL];
const LOCAL_SUPABASE = "packages/local-supabase/**";
/** Server-side packages: Postgres drivers and the Supabase client with its keys and admin API. */
const SERVER_PACKAGES = [
  "node_modules/postgres/**",
  "node_modules/pg/**",
  "node_modules/drizzle-orm/{postgres-js,node-postgres,pg-proxy,pglite,neon,neon-http,neon-serverless,vercel-postgres,xata-http,aws-data-api,bun-sql}/**",
  "node_modules/@supabase/supabase-js/**",
];
const FEATURES = readdirSync(new URL("src/features", import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

const APP_TO_LOCAL_SUPABASE =
  "[app-to-local-supabase] The app talks to any Supabase over HTTP, WebSocket and SQL; it never imports the local Supabase package.";
/*
 * The package by its name too: the zone below needs the import to resolve, and a package whose
 * exports point at a build that has not run yet does not.
 */
const { name: localSupabaseName } = JSON.parse(
  readFileSync(new URL("packages/local-supabase/package.json", import.meta.url), "utf8"),
);
const LOCAL_SUPABASE_BY_NAME = { name: localSupabaseName, message: APP_TO_LOCAL_SUPABASE };
const LOCAL_SUPABASE_SUBPATHS = { group: [`${localSupabaseName}/*`], message: APP_TO_LOCAL_SUPABASE };

const zones = [
  {
    target: CLIENT.filter((glob) => glob !== "src/routes/**/*.tsx"),
    from: SERVER_ONLY,
    message: "[client-to-server] Client-importable code never imports server-only code; call the feature's *.api.ts.",
  },
  {
    target: "src/routes/**/*.tsx",
    from: SERVER_ONLY,
    message: "[page-to-server] Page routes reach server code only through a feature's *.api.ts.",
  },
  {
    target: "src/server/**",
    from: UI,
    message: "[server-to-ui] src/server never imports features or UI; shared types and limits live in src/lib/domain/.",
  },
  {
    target: "src/lib/**",
    from: UI,
    message: "[lib-to-ui] src/lib is below every feature and component: it imports only src/lib and packages.",
  },
  {
    target: "src/components/**",
    from: UI.filter((glob) => glob !== "src/components/**"),
    message:
      "[components-to-features] Shared components know no feature and no page; the site layout (src/site-layout.tsx) composes them.",
  },
  {
    target: "src/features/**",
    from: ["src/routes/**", SHELL],
    message: "[feature-to-app] A feature never imports a page or the app shell.",
  },
  ...FEATURES.map((feature) => ({
    target: `src/features/${feature}/**`,
    from: `src/features/!(${feature})/**`,
    except: ["**/src/features/*/*.api.ts"],
    message:
      "[feature-to-feature] A feature imports another feature only through its *.api.ts; shared UI goes in src/components/, shared rules in src/lib/.",
  })),
  {
    target: CLIENT,
    from: SERVER_PACKAGES,
    message:
      "[client-to-server-package] Browser code never imports a Postgres driver or supabase-js (the feed uses @supabase/realtime-js, ADR 0031).",
  },
  {
    target: "src/**",
    from: LOCAL_SUPABASE,
    message: APP_TO_LOCAL_SUPABASE,
  },
  {
    target: LOCAL_SUPABASE,
    from: ["!(packages|node_modules)/**", "packages/!(local-supabase)/**", "*"],
    message:
      "[local-supabase-to-outside] The local Supabase package imports only itself and its dependencies, never the app, its tests or scripts.",
  },
];

/** A character above U+00FF, as an esquery regular expression. */
const WIDE = "/[^\\u0000-\\u00ff]/";

export default tseslint.config(
  { ignores: [".cache/", ".output/", ".vinxi/", "node_modules/", "packages/*/dist/", "tests/.tmp/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.tsx"],
    ...solid,
  },
  {
    rules: {
      "@typescript-eslint/no-non-null-assertion": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      eqeqeq: ["error", "smart"],
      "no-console": "off",
    },
  },
  {
    // One character above U+00FF anywhere in a page turns V8's whole server-rendered HTML string
    // into two bytes per character: every later slice, search and the UTF-8 encoding of the
    // response then take the slow path (~0.5 ms of CPU for the feed page, bench/README.md T5).
    // The app's own text keeps the page one-byte; user content is what it is.
    files: ["src/**/*.{ts,tsx}"],
    rules: {
      "no-restricted-syntax": [
        "error",
        ...[`Literal[value=${WIDE}]`, `TemplateElement[value.cooked=${WIDE}]`, `JSXText[value=${WIDE}]`].map((selector) => ({
          selector,
          message:
            "App text stays within Latin-1 ('...' for an ellipsis, ASCII quotes and dashes): one wider character makes the whole server-rendered page a two-byte string.",
        })),
      ],
    },
  },
  {
    // Plain JavaScript that Node loads without a TypeScript loader (scripts/follow-parent.mjs).
    files: ["scripts/**/*.mjs"],
    languageOptions: { globals: { process: "readonly", setInterval: "readonly" } },
  },
  {
    plugins: { "import-x": importX },
    settings: {
      "import-x/resolver-next": [createTypeScriptImportResolver({ project: `${root}tsconfig.json` })],
    },
    rules: { "import-x/no-restricted-paths": ["error", { basePath: root, zones }] },
  },
  {
    files: ["src/**"],
    rules: { "no-restricted-imports": ["error", { paths: [LOCAL_SUPABASE_BY_NAME], patterns: [LOCAL_SUPABASE_SUBPATHS] }] },
  },
  {
    files: CLIENT,
    rules: {
      "import-x/no-nodejs-modules": "error",
      "no-restricted-imports": [
        "error",
        {
          paths: [
            LOCAL_SUPABASE_BY_NAME,
            {
              name: "@supabase/ssr",
              importNames: ["createServerClient"],
              message:
                "[client-server-client] The browser's client is createBrowserClient; createServerClient reads and writes the session cookies on the server.",
            },
          ],
          patterns: [LOCAL_SUPABASE_SUBPATHS],
        },
      ],
    },
  },
  {
    // A static import would put the server module into the client bundle next to the RPC stubs.
    files: ["src/features/**/*.api.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [LOCAL_SUPABASE_BY_NAME],
          patterns: [
            LOCAL_SUPABASE_SUBPATHS,
            {
              regex: "^(~/|(\\.\\./)+)(server/|middleware$|entry-server$|routes/)",
              allowTypeImports: true,
              message:
                '[rpc-static-server] An *.api.ts file reaches server code only by `await import()` inside a "use server" body.',
            },
          ],
        },
      ],
    },
  },
);
