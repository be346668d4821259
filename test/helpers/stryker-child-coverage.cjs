// Loaded with `node --require` into each sto process a test spawns during Stryker's dry run
// (test/helpers/cli.ts): the instrumented dist/ records which mutants this process executed in
// globalThis.__stryker__.mutantCoverage; on exit they are written to the file the test process
// named, which merges them into the coverage of the test that spawned this process. Without it
// Stryker's vitest runner, which measures coverage in the test process only, reports every mutant
// reached only through the CLI as "not covered" and never runs it.
"use strict";
const fs = require("node:fs");

const file = process.env.STRYKER_CHILD_COVERAGE_FILE;
if (file) {
  process.on("exit", () => {
    const coverage = globalThis.__stryker__ && globalThis.__stryker__.mutantCoverage;
    if (coverage) fs.writeFileSync(file, JSON.stringify(coverage));
  });
}
