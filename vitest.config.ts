import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { localSupabaseProjects } from "./packages/local-supabase/vitest.projects.ts";
import TurnsSequencer from "./tests/setup/sequencer.ts";

const SERVER_CONDITIONS = ["local-supabase-source", "node", "development|production"];

export default defineConfig({
  resolve: {
    alias: { "~": fileURLToPath(new URL("./src", import.meta.url)) },
  },
  // The workspace runs the local Supabase package from its sources (ADR 0048): its condition, then
  // vitest's default server conditions, for test files (ssr) and global setups (__vitest__).
  ssr: { resolve: { conditions: SERVER_CONDITIONS } },
  environments: { __vitest__: { resolve: { conditions: SERVER_CONDITIONS } } },
  test: {
    // Most test time is spent waiting (on Postgres, the app, Chromium), not computing: two files
    // at a time even on a 2-core machine, where vitest's default (cores - 1) would be one.
    maxWorkers: 2,
    sequence: { sequencer: TurnsSequencer },
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["tests/unit/**/*.test.ts"],
          environment: "node",
          setupFiles: ["tests/setup/fail-on-console-error.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          environment: "node",
          globalSetup: ["tests/setup/postgres.ts"],
          setupFiles: ["tests/setup/fail-on-console-error.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      // The local Supabase package's own suites, over its own fixture project.
      ...localSupabaseProjects,
      // `npm run dev` as a process tree: how it starts, restarts and stops (no browser, no build).
      {
        extends: true,
        test: {
          name: "dev-command",
          include: ["tests/dev-command/**/*.test.ts"],
          environment: "node",
          setupFiles: ["tests/setup/fail-on-console-error.ts"],
          testTimeout: 240_000,
        },
      },
      {
        extends: true,
        test: {
          name: "app",
          // HTTP tests and browser tests share one built app and backend.
          include: ["tests/app/**/*.test.ts", "tests/e2e/**/*.test.ts"],
          environment: "node",
          globalSetup: ["tests/setup/app.ts"],
          // One app server and one auth request counter for the project: each file takes a turn
          // (tests/setup/turns.ts), alone unless it says it can share (tests/fixtures/turn.ts).
          setupFiles: ["tests/setup/app-turn.ts", "tests/setup/fail-on-console-error.ts"],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
