import type { TestProject } from "vitest/node";
import { provideTemplateCluster } from "../../src/testing.ts";
import { FIXTURE_WORKDIR } from "../fixture.ts";

/**
 * A throw-away cluster for the package's own integration tests, with bootstrap and the fixture
 * project's migrations and seed in a template database that test files clone.
 */
export default function setup(project: TestProject) {
  // As on a project created today, whatever config.toml says: the tests compare against it.
  return provideTemplateCluster(project, "local_supabase_template", {
    workdir: FIXTURE_WORKDIR,
    configure: (config) => {
      config.api.auto_expose_new_tables = false;
    },
  });
}
