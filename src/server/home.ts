import { serverQuery } from "~/server/boundary/server-function";
import { serverEnv } from "~/server/env";
import { localBackend } from "~/server/local-backend";

export const getLocalBackend = serverQuery("getLocalBackend", () => localBackend(serverEnv()));
