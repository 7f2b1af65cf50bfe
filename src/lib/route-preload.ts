/**
 * Starts a page's query once its RPC stubs are imported, and drops the outcome. Each feature's
 * generated `preload` object (`<domain>.preload.ts`, ADR 0049) calls it, so a route's preload
 * imports the stubs when it runs, not with the route table every page loads (ADR 0039). The
 * preload only warms the query's cache: the page's own `createAsync` reads the same entry and
 * shows what it holds (the 403 or 503 page, a redirect followed).
 *
 * The outcome is dropped here because nobody else would take it (ADR 0047). The router ignores
 * what a preload returns and marks a failed query as handled only while the preload runs
 * synchronously (`inPreloadFn`), never once an import has resolved; when it renders data for a
 * single-flight action it hands back the query's own promise, a refusal's thrown redirect
 * `Response` included. Returned as is, a refused load was an uncaught error in the browser's
 * console and an unhandled rejection on the server, which ends `vinxi dev`.
 */
function preloadAfterImport<Api>(stubs: Promise<Api>, load: (api: Api) => unknown): void {
  stubs.then(load).catch(() => undefined);
}

type Preload<F> = F extends (...args: infer A) => unknown ? (...args: A) => void : never;

/**
 * One preload per query `name` of a feature's api file: `preload.name(...args)` runs
 * preloadAfterImport on the lazily imported stubs. What the generated `<domain>.preload.ts` files
 * make (ADR 0049).
 */
export function preloadsOf<Api, Name extends keyof Api & string>(
  stubs: () => Promise<Api>,
  names: Name[],
): { [K in Name]: Preload<Api[K]> } {
  return Object.fromEntries(
    names.map((name) => [
      name,
      (...args: unknown[]) => preloadAfterImport(stubs(), (api) => (api[name] as (...args: unknown[]) => unknown)(...args)),
    ]),
  ) as { [K in Name]: Preload<Api[K]> };
}
