import { readFileSync } from "node:fs";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** How a test file says it may run beside other app files (tests/fixtures/turn.ts). */
const SHARES_THE_BACKEND = /^shareBackend\(\);$/m;

/**
 * vitest's order (failed, then slowest or largest first), regrouped for the app project's turns
 * (tests/setup/turns.ts) so that no worker sits waiting for a turn while there is other work:
 * the first app file that needs the backend alone, then the other projects' files (they need no
 * turn: they fill the second worker meanwhile), then the other app files that need it alone, then
 * the app files that share it. Only the order changes: which files run, and how, does not.
 */
export default class TurnsSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const shares = (spec: TestSpecification) => SHARES_THE_BACKEND.test(readFileSync(spec.moduleId, "utf8"));
    const app = sorted.filter((spec) => spec.project.name === "app");
    const [firstAlone, ...alone] = app.filter((spec) => !shares(spec));
    return [
      ...(firstAlone ? [firstAlone] : []),
      ...sorted.filter((spec) => spec.project.name !== "app"),
      ...alone,
      ...app.filter(shares),
    ];
  }
}
