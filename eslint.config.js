import js from "@eslint/js";
import solid from "eslint-plugin-solid/configs/typescript";
import tseslint from "typescript-eslint";
import { importBoundaries } from "./config/eslint-import-boundaries.js";

/*
 * The project's parts and the imports between them that must never happen (ADR 0024). Globs are
 * over resolved paths from the repository root, so `~/server/x`, `../server/x` and a workspace
 * package imported by its name are all caught.
 */
const SERVER_ONLY = ["src/server/**", "src/middleware.ts", "src/entry-server.tsx", "src/routes/**/*.ts"];
const LOCAL_SUPABASE = "packages/local-supabase/**";

const boundaries = [
  {
    name: "client-to-server",
    from: ["src/lib/**", "src/components/**", "src/features/**", "src/app.tsx", "src/entry-client.tsx"],
    exceptFrom: ["src/features/**/*.api.ts"],
    forbid: SERVER_ONLY,
    message: "Client-importable code never imports server-only code; call the feature's *.api.ts.",
  },
  {
    name: "page-to-server",
    from: ["src/routes/**/*.tsx"],
    forbid: SERVER_ONLY,
    message: "Page routes reach server code only through a feature's *.api.ts.",
  },
  {
    // A static import would put the server module into the client bundle next to the RPC stubs.
    name: "rpc-static-server",
    from: ["src/features/**/*.api.ts"],
    forbid: SERVER_ONLY,
    kinds: ["value"],
    message: 'An *.api.ts file reaches server code only by `await import()` inside a "use server" body.',
  },
  {
    name: "server-to-ui",
    from: ["src/server/**"],
    forbid: ["src/features/**", "src/routes/**", "src/components/**", "src/app.tsx", "src/entry-client.tsx"],
    message: "src/server never imports features or UI; shared types and limits live in src/lib/domain/.",
  },
  {
    name: "app-to-local-supabase",
    from: ["src/**"],
    forbid: [LOCAL_SUPABASE],
    message: "The app talks to any Supabase over HTTP, WebSocket and SQL; it never imports the local Supabase package.",
  },
  {
    name: "local-supabase-to-outside",
    from: [LOCAL_SUPABASE],
    forbid: ["**"],
    allow: [LOCAL_SUPABASE],
    message: "The local Supabase package imports only itself and its dependencies, never the app, its tests or scripts.",
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
    plugins: { local: { rules: { "import-boundaries": importBoundaries } } },
    rules: { "local/import-boundaries": ["error", { boundaries }] },
  },
);
