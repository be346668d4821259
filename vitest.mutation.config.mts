import path from "node:path";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import base from "./vitest.config.mts";

// Used only by `npm run test:mutation` (scripts/mutation.ts): Stryker's vitest runner runs every
// included file for each mutant when coverage is not measured per test, so the run is limited to the
// test files that cover the mutated module, named by the script in MUTATION_TESTS. (Not mergeConfig:
// it would append to the base's include instead of replacing it.)
const files = (process.env.MUTATION_TESTS ?? "").split(",").filter((file) => file !== "");
if (files.length === 0) throw new Error("vitest.mutation.config.mts: MUTATION_TESTS names no test file (run it through npm run test:mutation)");

/**
 * The order of the files of a mutant's run. Stryker stops a mutant's run at its first failing test,
 * so the test most likely to fail soonest goes first: a file that failed in the previous run (the
 * mutant before was often killed by it, and its neighbours are alike), then the quickest by the last
 * duration measured, then the files in the order the target names them (in-process tests first).
 * vitest's own order runs the longest first, which made a killed mutant wait for the slowest
 * end-to-end file. It changes only how long a run takes, never which mutants it kills.
 */
class QuickestFirst extends BaseSequencer {
  override async sort(specifications: TestSpecification[]): Promise<TestSpecification[]> {
    const cache = this.ctx.cache;
    const rank = (specification: TestSpecification) => {
      const relativePath = path.relative(this.ctx.config.root, specification.moduleId);
      const state = cache.getFileTestResults(`${specification.project.name}:${relativePath}`);
      const listed = files.indexOf(relativePath);
      return { failed: state?.failed ? 0 : 1, duration: state?.duration ?? Number.POSITIVE_INFINITY, listed: listed === -1 ? files.length : listed };
    };
    return [...specifications].sort((a, b) => {
      const ra = rank(a);
      const rb = rank(b);
      if (ra.failed !== rb.failed) return ra.failed - rb.failed;
      if (ra.duration !== rb.duration) return ra.duration < rb.duration ? -1 : 1;
      return ra.listed - rb.listed;
    });
  }
}

export default defineConfig({ ...base, test: { ...base.test, include: files, sequence: { sequencer: QuickestFirst } } });
