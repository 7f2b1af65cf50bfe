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
            {/*
              A page whose loader failed on the server (the 403 or 503 page) carries that loader's
              promise, and those of the Suspense boundaries around it, in its hydration data, which
              rejects them as it runs. Nothing in the browser ever takes them (the error boundary
              hydrates straight into the error page the server rendered), so each was an "Uncaught
              (in promise)" error in the console for an error the page already shows. This marks
              rejections of promises in the hydration data (_$HY.r) as handled, and nothing else.
              Before {assets}: the hydration data follows its bootstrap there and runs at once. Text, so
              written without & and < (Solid escapes those).
            */}
            <script nonce={getRequestEvent()?.locals.cspNonce}>
              {
                'addEventListener("unhandledrejection",function(e){var h=self._$HY,r=h?h.r:{};for(var k in r)if(r[k]===e.promise)return e.preventDefault()})'
              }
            </script>
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
