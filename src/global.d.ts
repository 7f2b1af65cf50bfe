/// <reference types="@solidjs/start/env" />
import type { RequestAuth } from "~/server/auth/session";

declare global {
  namespace App {
    interface RequestEventLocals {
      auth: RequestAuth;
    }
  }
}
