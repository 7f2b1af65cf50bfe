/// <reference types="@solidjs/start/env" />
import type { RequestAuth } from "~/server/session/session";

declare global {
  namespace App {
    interface RequestEventLocals {
      auth: RequestAuth;
      /** This response's Content-Security-Policy nonce (src/server/security/headers.ts). */
      cspNonce: string;
    }
  }
}
