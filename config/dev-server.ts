import type { Plugin, UserConfig } from "vite";
import { replaceOnce, reshaped } from "./rewrite";

/*
 * What `vinxi dev` (`npm run dev`) needs that the built app does not (ADR 0047).
 */

const GUARD = Symbol.for("solidstart-supabase.dev-server-guard");

/** One line for the terminal: what was thrown, and where, without the whole stack. */
export function describeThrown(value: unknown): string {
  if (value instanceof Response) {
    const location = value.headers.get("location");
    return `a Response ${value.status}${location ? ` to ${location}` : ""}`;
  }
  if (value instanceof Error) {
    const frame = value.stack
      ?.split("\n")
      .find((line) => line.trimStart().startsWith("at "))
      ?.trim();
    return `${value.name}: ${value.message}${frame ? ` (${frame})` : ""}`;
  }
  return String(value);
}

/**
 * The built server (Nitro's node-server entry) answers an unhandled rejection or an uncaught
 * exception with a log line and keeps serving; `vinxi dev` runs the app in its own process without
 * Nitro's handlers (vinxi/lib/dev-server.js: "doesn't run the server in a worker"), so there Node's
 * default applies and one such error anywhere (a request, a loader, a server function, a
 * dependency) ends the dev server: `npm run dev` restarts it (ADR 0046), but every open page loses
 * it meanwhile and the next request waits for a full compile. The app's own causes are fixed where
 * they arose; this keeps whatever is left to one line, as the build does.
 * Carrying on after an uncaught exception is what Nitro does too; in development that is the
 * useful choice (the next request shows whether the process is still sound).
 */
export function keepDevServerAlive(log: (line: string) => void = console.error): void {
  const global = globalThis as { [GUARD]?: true };
  // vinxi loads app.config.ts again when it changes and restarts the server in the same process.
  if (global[GUARD]) return;
  global[GUARD] = true;
  process.on("unhandledRejection", (reason) => {
    log(`[dev] unhandled rejection, the dev server keeps running: ${describeThrown(reason)}`);
  });
  process.on("uncaughtException", (error) => {
    log(`[dev] uncaught exception, the dev server keeps running: ${describeThrown(error)}`);
  });
}

const LAZY_ROUTE = "@solidjs/start/dist/router/lazyRoute.js";
const DEV_ROUTE_ASSETS = "return [...assets.map((asset) => renderAsset(asset)), createComponent(Component, props)];";
const VINXI_STYLES = "vinxi/runtime/style.js";
const NEW_STYLE_ELEMENT = 'element = document.createElement("style");';
// Where Vite's development client reads the nonce for the <style> elements it inserts; the
// document (entry-server.tsx) writes it in development.
const PAGE_NONCE = `document.querySelector('meta[property="csp-nonce"]')?.nonce`;

const reshapedFile = (file: string) => () => reshaped("devStyleNonce", "config/dev-server.ts", file);

/**
 * In development SolidStart puts each route's CSS into the page as `<style>` elements, rendered on
 * the server and appended by the browser on client-side navigation, and gives none of them the
 * response's nonce (`lazyRoute.js`, `vinxi/css`): under the Content-Security-Policy (ADR 0043)
 * every page with CSS of its own (the feed, conversations) was unstyled in `vinxi dev` and reported
 * violations. This passes the nonce: the request's on the server, the page's in the browser.
 */
export function devStyleNonce(): Plugin {
  return {
    name: "dev-style-nonce",
    apply: "serve",
    enforce: "pre",
    transform(code, id) {
      const path = id.replace(/\\/g, "/").split("?")[0] ?? "";
      if (path.endsWith(LAZY_ROUTE)) {
        const withNonce = replaceOnce(
          code,
          DEV_ROUTE_ASSETS,
          DEV_ROUTE_ASSETS.replace("renderAsset(asset)", "renderAsset(asset, devNonce())"),
          reshapedFile(LAZY_ROUTE),
        );
        return {
          code: [
            'import { getRequestEvent as devRequestEvent } from "solid-js/web";',
            `const devNonce = () => (typeof window === "undefined" ? devRequestEvent()?.nonce : ${PAGE_NONCE});`,
            withNonce,
          ].join("\n"),
          map: null,
        };
      }
      if (path.endsWith(VINXI_STYLES)) {
        return {
          code: replaceOnce(
            code,
            NEW_STYLE_ELEMENT,
            `${NEW_STYLE_ELEMENT} const nonce = ${PAGE_NONCE}; if (nonce) element.setAttribute("nonce", nonce);`,
            reshapedFile(VINXI_STYLES),
          ),
          map: null,
        };
      }
      return null;
    },
  };
}

/**
 * `optimizeDeps` of the client router, for `vinxi dev`: the Realtime client is imported only once a
 * page is interactive, so Vite found it at the first such page, bundled it with the other
 * dependencies again and reloaded every open tab: a newcomer's first sign-in was cut off ("Failed
 * to fetch dynamically imported module"). Named up front, it is bundled at start.
 */
export const devDependencies: UserConfig["optimizeDeps"] = { include: ["@supabase/realtime-js"] };

/**
 * `server.fs` of the client router (the one serving `/_build/`), for `vinxi dev`: Vite serves any
 * file under the project to localhost pages (`/_build/@fs/...`), and `.cache/` holds the local
 * backend's signing key and database passwords; Vite's own list covers only `.env` files,
 * certificates and `.git`.
 */
export const devFileAccess: NonNullable<UserConfig["server"]>["fs"] = {
  deny: [".env", ".env.*", "*.{crt,pem}", "**/.git/**", "**/.cache/**"],
};
