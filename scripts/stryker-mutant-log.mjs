// A Stryker reporter plugin (loaded by scripts/mutation.ts through `appendPlugins`): appends each
// mutant's result, with the time it was known, to the file named by MUTATION_PROGRESS_LOG as one JSON
// line, as soon as it is known. Stryker writes its own report only at the end of a run; a run of a
// target that takes hours and is stopped early keeps every result up to that moment here
// (`npm run test:mutation -- --summary FILE` scores it), and the time between lines is what a mutant
// costs.
import fs from "node:fs";
import { declareClassPlugin, PluginKind } from "@stryker-mutator/api/plugin";

class MutantLogReporter {
  constructor() {
    this.file = process.env.MUTATION_PROGRESS_LOG;
  }

  onMutantTested(result) {
    if (!this.file) return;
    const line = {
      at: new Date().toISOString(),
      id: result.id,
      file: result.fileName,
      line: result.location.start.line,
      column: result.location.start.column + 1,
      mutatorName: result.mutatorName,
      replacement: result.replacement,
      status: result.status,
      static: result.static ?? false,
      covering: result.coveredBy?.length ?? 0,
      testsCompleted: result.testsCompleted,
      killedBy: result.killedBy,
    };
    fs.appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.Reporter, "mutant-log", MutantLogReporter)];
