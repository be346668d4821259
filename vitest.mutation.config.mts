import { defineConfig } from "vitest/config";
import base from "./vitest.config.mts";

// Used only by `npm run test:mutation` (scripts/mutation.ts): Stryker's vitest runner runs every
// included file for each mutant when coverage is not measured per test, so the run is limited to the
// test files that cover the mutated module, named by the script in MUTATION_TESTS. (Not mergeConfig:
// it would append to the base's include instead of replacing it.)
const files = (process.env.MUTATION_TESTS ?? "").split(",").filter((file) => file !== "");
if (files.length === 0) throw new Error("vitest.mutation.config.mts: MUTATION_TESTS names no test file (run it through npm run test:mutation)");

export default defineConfig({ ...base, test: { ...base.test, include: files } });
