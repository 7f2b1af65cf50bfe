import { createServer, type ServerResponse } from "node:http";

/**
 * Turns at the app project's one shared backend (tests/setup/app.ts), so its files can run in
 * vitest workers beside the other projects' files while each app file still has what it needs:
 *
 * - `alone` (the default): no other app file runs meanwhile. For files that count the backend's
 *   requests, cut every Realtime socket, read the public feed expecting only their own posts, or
 *   bound a latency tightly.
 * - `shared`: beside other `shared` files, never beside an `alone` one (tests/fixtures/turn.ts).
 *
 * A file asks with GET /turn?mode=…&file=…; the answer's first line comes when the turn is given,
 * and the turn lasts until the file closes that connection (or its worker dies: nothing can keep
 * a turn it no longer uses). Turns are given in the order asked, so an `alone` file is never
 * starved by a stream of `shared` ones, and only once `ready` (the built app's server) is: if it
 * failed, every file asking is answered with its error instead.
 */
export type TurnMode = "alone" | "shared";

interface Holder {
  mode: TurnMode;
  file: string;
}

export async function startTurnServer(ready: Promise<unknown>): Promise<{ url: string; close(): void }> {
  const waiting: { holder: Holder; response: ServerResponse }[] = [];
  const holders = new Set<Holder>();
  let state: "starting" | "ready" | Error = "starting";

  const give = () => {
    if (state instanceof Error) {
      for (const { response } of waiting.splice(0)) response.writeHead(500).end(`${state.stack ?? state.message}\n`);
      return;
    }
    if (state !== "ready") return;
    while (waiting.length > 0) {
      const next = waiting[0];
      if (!next) break;
      const aloneHeld = [...holders].some((holder) => holder.mode === "alone");
      if (aloneHeld || (next.holder.mode === "alone" && holders.size > 0)) break;
      waiting.shift();
      holders.add(next.holder);
      next.response.writeHead(200, { "content-type": "text/plain" });
      next.response.write("your turn\n");
      // TURNS_LOG=1 shows which files ran beside which.
      if (process.env.TURNS_LOG) console.log(`TURN ${Date.now()} give ${next.holder.mode} ${next.holder.file}`);
    }
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://x");
    const mode = url.searchParams.get("mode");
    if (request.method !== "GET" || url.pathname !== "/turn" || (mode !== "alone" && mode !== "shared")) {
      response.writeHead(400).end("GET /turn?mode=alone|shared&file=…\n");
      return;
    }
    const entry: { holder: Holder; response: ServerResponse } = {
      holder: { mode, file: url.searchParams.get("file") ?? "?" },
      response,
    };
    response.on("close", () => {
      const index = waiting.indexOf(entry);
      if (index >= 0) waiting.splice(index, 1);
      holders.delete(entry.holder);
      give();
    });
    waiting.push(entry);
    give();
  });
  ready.then(
    () => {
      state = "ready";
      give();
    },
    (error: unknown) => {
      state = error instanceof Error ? error : new Error(String(error));
      give();
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}
