import { getDatabase } from "~/server/db/app-database";
import type { appMetadataVersion, sessionRevocationVersion } from "~/server/db/schema";

/** A change must apply within this on every app instance (ADRs 0014, 0035). */
const VERSION_MAX_AGE_MS = 1_000;

/**
 * A one-row counter a trigger moves in the changing transaction (app_metadata on auth.users,
 * deletes on auth.sessions). Read at most once per VERSION_MAX_AGE_MS per process, whatever the
 * traffic: requests meanwhile share one read. Only a successful read is kept, so an outage leaves
 * nothing stale behind. The time kept is when the read started, so a change committed during it
 * is caught by the next one.
 */
export function changeCounter(table: typeof appMetadataVersion | typeof sessionRevocationVersion, name: string) {
  let version: { value: string; readAt: number } | undefined;
  let reading: Promise<string> | undefined;

  async function read(): Promise<string> {
    const startedAt = Date.now();
    const [row] = await getDatabase().admin.select({ version: table.version }).from(table);
    if (!row) throw new Error(`public.${name} has no row (migrations not applied?)`);
    version = { value: String(row.version), readAt: startedAt };
    return version.value;
  }

  return function current(): Promise<string> {
    if (version && Date.now() - version.readAt < VERSION_MAX_AGE_MS) return Promise.resolve(version.value);
    reading ??= read().finally(() => {
      reading = undefined;
    });
    return reading;
  };
}
