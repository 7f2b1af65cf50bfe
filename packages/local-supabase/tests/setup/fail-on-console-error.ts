import { afterEach, beforeEach, vi } from "vitest";

// An unexpected console.error usually means a swallowed failure; make it fail the test instead.
// A test that expects one replaces the spy with its own.
beforeEach(() => {
  vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
    throw new Error(`console.error called: ${args.map(String).join(" ")}`);
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});
