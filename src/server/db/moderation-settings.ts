import { and, eq, ne } from "drizzle-orm";
import { serverEnv } from "~/server/env";
import { getDatabase } from "./app-database";
import { moderationSettings } from "./schema";

let written: Promise<void> | undefined;

/**
 * Copies MODERATORS_REQUIRE_FACTOR into public.moderation_settings, which the moderator policies
 * read (ADR 0034): once per process, and again on the next request if it failed (database not up
 * yet). Until then the guards enforce the setting on their own. A row already right is not
 * written, so instances starting together take no row lock.
 */
export function writeModerationSettings(): Promise<void> {
  written ??= (async () => {
    const required = serverEnv().MODERATORS_REQUIRE_FACTOR;
    await getDatabase()
      .admin.update(moderationSettings)
      .set({ moderatorsRequireFactor: required })
      .where(and(eq(moderationSettings.singleton, true), ne(moderationSettings.moderatorsRequireFactor, required)));
  })().catch((error: unknown) => {
    written = undefined;
    console.warn(`moderation settings not written yet: ${(error as Error).message}`);
  });
  return written;
}
