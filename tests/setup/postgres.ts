import { provideTemplateCluster } from "local-supabase/testing";
import type { TestProject } from "vitest/node";

/**
 * One real PostgreSQL for the whole run, on a free port in a temporary folder, so a developer's
 * own cluster (npm run db:start) is never touched. It holds a template database with bootstrap,
 * migrations and seed applied, which test files clone (`useTestDatabase` of the package's testing entry).
 */
export default function setup(project: TestProject) {
  // Always without automatic grants, whatever config.toml says: every suite then proves the
  // migrations' explicit grants are enough, as on a project created today.
  return provideTemplateCluster(project, "app_template", {
    configure: (config) => {
      config.api.auto_expose_new_tables = false;
    },
  });
}
