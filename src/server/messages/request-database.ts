import { requireUser } from "~/server/auth/guards";
import { createDrizzleSupabaseClient } from "~/server/db/app-database";

/** The signed-in user's claims and an `rls` runner bound to them (redirects to /login otherwise). */
export function requestDatabase() {
  const claims = requireUser();
  return { claims, ...createDrizzleSupabaseClient(claims) };
}
