// @refresh reload
import { createHandler, StartServer } from "@solidjs/start/server";
import { getRequestEvent } from "solid-js/web";

export default createHandler(
  () => (
    <StartServer
      document={({ assets, children, scripts }) => (
        <html lang="en">
          <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1" />
            {/* Vite's development client gives the <style> elements it inserts this nonce. */}
            {import.meta.env.DEV && <meta property="csp-nonce" nonce={getRequestEvent()?.locals.cspNonce} />}
            <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
            {assets}
          </head>
          <body>
            <div id="app">{children}</div>
            {scripts}
          </body>
        </html>
      )}
    />
  ),
  // "async" renders the whole page before sending it: session cookies are always written before
  // the first byte of the body, and small pages render faster than with streaming.
  // The middleware made this response's CSP nonce (ADR 0043); SolidStart writes it on the inline
  // scripts and the assets it renders.
  (event) => ({ mode: "async", nonce: event.locals.cspNonce }),
);
