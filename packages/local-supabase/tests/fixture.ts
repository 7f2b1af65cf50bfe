import { fileURLToPath } from "node:url";
import { projectPaths, readConfig, type SupabaseConfig } from "../src/config.ts";

/**
 * The project every suite of the package runs against: tests/fixture/supabase/ (config.toml,
 * migrations, seed), whatever the working directory, so no suite depends on the project that
 * happens to hold the package.
 */
export const FIXTURE_WORKDIR = fileURLToPath(new URL("./fixture/", import.meta.url));

export const fixturePaths = projectPaths(FIXTURE_WORKDIR);

export function fixtureConfig(): SupabaseConfig {
  return readConfig(fixturePaths.configToml);
}
