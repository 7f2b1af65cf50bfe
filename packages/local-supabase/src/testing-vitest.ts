import { afterAll, beforeAll, inject } from "vitest";
import { type ClonedDatabase, cloneDatabase } from "./testing.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser URL of the run's template cluster (database `postgres`). */
    postgresUrl: string;
    /** The migrated + seeded template database that test files clone. */
    templateDatabase: string;
  }
}

export type TestDatabase = Omit<ClonedDatabase, "drop">;

/** A clone of the run's template database (see `provideTemplateCluster`), for this caller alone. */
export function createTestDatabase(): Promise<ClonedDatabase> {
  return cloneDatabase(inject("postgresUrl"), inject("templateDatabase"));
}

/** A database of this test file's own, cloned before its tests and dropped after them. */
export function useTestDatabase(): TestDatabase {
  const handle = {} as TestDatabase & { drop?: () => Promise<void> };
  beforeAll(async () => {
    Object.assign(handle, await createTestDatabase());
  });
  afterAll(async () => {
    await handle.drop?.();
  });
  return handle;
}
