import { serverQuery } from "~/server/boundary/server-function";
import { serverEnv } from "~/server/env";
import { localBackend } from "~/server/local-backend";

/** On a local backend only: the seeded accounts and the mailbox link; null anywhere else. */
export const getLocalBackend = serverQuery("getLocalBackend", () => localBackend(serverEnv()));
