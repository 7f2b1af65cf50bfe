import { defineConfig } from "vitest/config";
import { localSupabaseProjects } from "./vitest.projects.ts";

export default defineConfig({
  test: { projects: localSupabaseProjects },
});
