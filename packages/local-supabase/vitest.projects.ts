import { fileURLToPath } from "node:url";
import type { TestProjectConfiguration } from "vitest/config";

/**
 * The package's suites, run by its own vitest.config.ts and spread into a workspace root's
 * `projects`; `root` keeps their paths and the fixture project (tests/fixture/) the same from both.
 */
const root = fileURLToPath(new URL(".", import.meta.url));

export const localSupabaseProjects = [
  {
    root,
    test: {
      name: "local-supabase",
      include: ["tests/{unit,integration,package}/**/*.test.ts"],
      environment: "node",
      globalSetup: ["tests/setup/postgres.ts"],
      setupFiles: ["tests/setup/fail-on-console-error.ts"],
      testTimeout: 30_000,
      hookTimeout: 60_000,
    },
  },
  {
    root,
    test: {
      name: "contract",
      include: ["tests/contract/**/*.test.ts"],
      environment: "node",
      globalSetup: ["tests/setup/contract.ts"],
      setupFiles: ["tests/setup/fail-on-console-error.ts"],
      testTimeout: 30_000,
      hookTimeout: 60_000,
    },
  },
] satisfies TestProjectConfiguration[];
