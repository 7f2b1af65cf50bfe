import type { Plugin } from "vite";
import { replaceOnce, reshaped } from "./rewrite";

const SERVER_RUNTIME = "@solidjs/start/dist/runtime/server-runtime.js";
const EAGER_SERIALIZATION =
  'import { deserializeJSONStream, deserializeJSStream, serializeToJSONString, } from "./serialization";';

/**
 * SolidStart's client server-function runtime imports seroval (~8 KB gzip) at the top, and every
 * page loads that runtime: the client entry holds each route's `route.preload`, and with it the
 * RPC stubs of every `*.api.ts`. The three functions it uses are all async and always awaited, so
 * they can load seroval on the first server-function call instead, with the same results.
 * A changed runtime fails the build rather than silently shipping seroval again.
 */
export function lazyServerFunctionSerialization(): Plugin {
  return {
    name: "lazy-server-function-serialization",
    enforce: "pre",
    transform(code, id) {
      if (!id.replace(/\\/g, "/").endsWith(SERVER_RUNTIME)) return null;
      if (code.split(EAGER_SERIALIZATION).length !== 2) {
        throw new Error(
          `lazyServerFunctionSerialization: ${SERVER_RUNTIME} no longer imports its serialization as expected; update config/client-bundle.ts`,
        );
      }
      return code.replace(
        EAGER_SERIALIZATION,
        // One import() per function, written as (await import(x)).name: the form Rollup tree-shakes,
        // so the lazy chunk holds these three functions and not the whole module.
        ["serializeToJSONString", "deserializeJSONStream", "deserializeJSStream"]
          .map((name) => `const ${name} = async (...args) => (await import("./serialization")).${name}(...args);`)
          .join("\n"),
      );
    },
  };
}

/**
 * Every page needs solid-js, the router and SolidStart's client runtime: one "framework" chunk
 * instead of Rollup's default of a shared chunk per combination of routes (ten files for the home
 * page, each with its own import list, compressed apart). Rollup puts a manual chunk's
 * unassigned dependencies into it too, so solid-js/store (only the live feed uses it, but the
 * router imports it) gets its own chunk, and SolidStart's seroval stays behind its dynamic import.
 */
export function clientChunks(id: string): string | undefined {
  const path = id.replace(/\\/g, "/");
  if (path.includes("/node_modules/solid-js/store/")) return "solid-store";
  if (path.includes("/node_modules/@solidjs/start/dist/runtime/serialization")) return undefined;
  if (/\/node_modules\/(solid-js|@solidjs\/router|@solidjs\/start)\//.test(path)) return "framework";
  if (/\/src\/(components\/|features\/auth\/auth\.api\.ts)/.test(path)) return "framework";
  // Every route's preload reaches its feature's generated preload object, so those ride with the
  // route table. The api file the preload imports when it runs must stay out of the route table's
  // chunk (Rollup would pull it in as a static dependency of the route exports, stubs and all): a
  // chunk of its own, loaded by the pages that use it (ADR 0049).
  if (/\/src\/features\/[^/]+\/[^/]+\.preload\.ts$/.test(path)) return "framework";
  const api = /\/src\/features\/[^/]+\/([^/]+\.api)\.ts$/.exec(path);
  if (api) return api[1];
  return undefined;
}

const ROUTE_TABLE = "vinxi/routes";
const START_ROUTES = "@solidjs/start/dist/router/routes.js";
const API_MATCHER_START = 'import { createRouter } from "radix3";';
const API_MATCHER_EXPORT = "export function matchAPIRoute(";
const BUILD_IMPORT = /"build":\(\) => import\('[^']*'\),/g;
const FILE_PATH = /,"filePath":"[^"]*"/g;
const CLIENT_MANIFEST = "vinxi/lib/manifest/client-manifest.js";
const CLIENT_MANIFEST_PATHS = 'import { handlerModule, join, virtualId } from "../path.js";';
// What those three do for a browser build: its routers have no .html handler, and the only paths
// joined are URL paths (an island chunk's, under the base URL).
const BROWSER_PATHS = [
  "const virtualId = (name) => `virtual:${name}`;",
  "const handlerModule = (router) => `$vinxi/handler/${router.name}`;",
  'const join = (...parts) => parts.join("/").replace(/\\/{2,}/g, "/");',
].join("\n");

const reshapedFile = (file: string) => () => reshaped("trimBrowserRuntime", "config/client-bundle.ts", file);

/**
 * What the browser's copy of the runtime carries that only the server or development use, about
 * 2.5 KB gzip on every page (production builds only):
 * - SolidStart's `routes.js` builds a radix3 matcher of the API routes at import time; only the
 *   server's request handler calls it, but a top-level call cannot be tree-shaken.
 * - vinxi's generated route table gives each page a `build: () => import(route)` (Rollup then
 *   writes every route's preload list into the entry) and its `filePath`. The browser loads a
 *   route through `import`, from the manifest, and the routes are Rollup inputs of their own, so
 *   the chunks and the manifest come out the same without them.
 * - vinxi's client manifest imports its path helpers, and with them pathe, for string joins.
 * Each rewrite checks it found what it expects and fails the build otherwise.
 */
export function trimBrowserRuntime(): Plugin {
  return {
    name: "trim-browser-runtime",
    apply: "build",
    transform(code, id) {
      const path = id.replace(/\\/g, "/");
      if (path === ROUTE_TABLE) {
        const pages = code.split('"$component":').length - 1;
        const rewritten = code.replace(BUILD_IMPORT, "").replace(FILE_PATH, "");
        if (pages === 0 || rewritten.split('"$component":').length - 1 !== pages || /"build":|"filePath":/.test(rewritten)) {
          throw reshapedFile(ROUTE_TABLE)();
        }
        return { code: rewritten, map: null };
      }
      if (path.endsWith(CLIENT_MANIFEST)) {
        return { code: replaceOnce(code, CLIENT_MANIFEST_PATHS, BROWSER_PATHS, reshapedFile(CLIENT_MANIFEST)), map: null };
      }
      if (!path.endsWith(START_ROUTES)) return null;
      const matcherAt = code.indexOf(API_MATCHER_EXPORT);
      // The matcher must be the file's last export: everything from it to the end goes.
      if (code.split(API_MATCHER_START).length !== 2 || matcherAt < 0 || code.slice(matcherAt).split(/\bexport\b/).length !== 2) {
        throw reshapedFile(START_ROUTES)();
      }
      return { code: code.slice(0, matcherAt).replace(API_MATCHER_START, ""), map: null };
    },
  };
}
