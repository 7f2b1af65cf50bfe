import { query } from "@solidjs/router";

/** On a local backend only: the seeded accounts and the mailbox link; null anywhere else. */
export const getLocalBackend = query(async () => {
  "use server";
  return (await import("~/server/home")).getLocalBackend();
}, "getLocalBackend");
