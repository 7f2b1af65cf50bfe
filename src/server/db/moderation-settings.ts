import { and, eq, ne } from "drizzle-orm";
import { serverEnv } from "~/server/env";
import { getDatabase } from "./app-database";
import { moderationSettings } from "./schema";

/** After a failed write, how long until a request tries again (the database is likely down). */
const RETRY_AFTER_MS = 5_000;

let state: "idle" | "writing" | "written" = "idle";
let nextAttemptAt = 0;

/**
 * Copies MODERATORS_REQUIRE_FACTOR into public.moderation_settings, which the moderator policies
 * read (ADR 0034): once per process, in the background of the first request, and again a few
 * seconds later if it failed. Until then the guards enforce the setting on their own. A row
 * already right is not written, so instances starting together take no row lock.
 */
export function writeModerationSettings(): void {
  if (state !== "idle" || Date.now() < nextAttemptAt) return;
  state = "writing";
  const required = serverEnv().MODERATORS_REQUIRE_FACTOR;
  getDatabase()
    .admin.update(moderationSettings)
    .set({ moderatorsRequireFactor: required })
    .where(and(eq(moderationSettings.singleton, true), ne(moderationSettings.moderatorsRequireFactor, required)))
    .then(
      () => {
        state = "written";
      },
      (error: unknown) => {
        state = "idle";
        nextAttemptAt = Date.now() + RETRY_AFTER_MS;
        console.warn(`moderation settings not written yet: ${(error as Error).message}`);
      },
    );
}
