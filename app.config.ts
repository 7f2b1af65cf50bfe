import { defineConfig } from "@solidjs/start/config";
import { rootRelativeBuildPaths } from "./config/build-paths";
import { devDependencies, devFileAccess, devStyleNonce, keepDevServerAlive } from "./config/dev-server";
import { FIXED_HEADERS, STATIC_FILE_POLICY } from "./src/server/security/fixed-headers";
import { trimBrowserRuntime, clientChunks, lazyServerFunctionSerialization } from "./config/client-bundle";
import { rpcStubs, rpcStubsWithoutSideEffects } from "./config/rpc-stubs";

/**
 * The dev server's hot-reload sockets (one per router, on ports of their own) listen where the
 * app does: on loopback unless HOST names an address to expose it on. Vite's default is every
 * interface, which serves file paths and compile errors to the network (ADR 0046).
 */
const devServerSockets = { hmr: { host: !process.env.HOST || process.env.HOST === "localhost" ? "localhost" : undefined } };

const app = defineConfig({
  middleware: "src/middleware.ts",
  // Nitro's node server sends precompressed gzip/brotli copies of the client assets (without this
  // it sends them uncompressed).
  server: {
    preset: "node-server",
    compressPublicAssets: true,
    // Static files are served before src/middleware.ts runs: they get the fixed security headers
    // here (ADR 0043); every other response gets them, and its nonce policy, from the middleware.
    routeRules: { "/**": { headers: { ...FIXED_HEADERS, "content-security-policy": STATIC_FILE_POLICY } } },
  },
  // Server-function answers as JSON: in its default "js" mode SolidStart's client runs each answer
  // through eval(), which the Content-Security-Policy forbids (ADR 0043).
  serialization: { mode: "json" },
  vite: ({ router }: { router: string }) =>
    router === "client"
      ? {
          optimizeDeps: devDependencies,
          plugins: [
            // The RPC stubs are generated before any router builds or serves (ADR 0049); this one
            // router also regenerates them when a server module changes in `vinxi dev`.
            rpcStubs({ watch: true }),
            rpcStubsWithoutSideEffects(),
            lazyServerFunctionSerialization(),
            trimBrowserRuntime(),
            rootRelativeBuildPaths({ client: true }),
            devStyleNonce(),
          ],
          build: { rollupOptions: { output: { manualChunks: clientChunks } } },
          server: { ...devServerSockets, fs: devFileAccess },
        }
      : {
          plugins: [rpcStubs({ watch: false }), rootRelativeBuildPaths({ client: false }), devStyleNonce()],
          server: devServerSockets,
        },
});

// Only `vinxi dev` starts this hook, in the process that serves the app (ADR 0047).
app.hooks.hook("app:dev:start", () => keepDevServerAlive());

export default app;
