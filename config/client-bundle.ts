import type { Plugin } from "vite";

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
  return undefined;
}
