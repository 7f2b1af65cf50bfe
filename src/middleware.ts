import { createMiddleware } from "@solidjs/start/middleware";
import { isStaticPath } from "~/lib/static-paths";

export default createMiddleware({
  onRequest: (event) => {
    if (isStaticPath(new URL(event.request.url).pathname)) return;
  },
});
