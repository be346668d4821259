/**
 * `npm run test:mutation [-- TARGET... [STRYKER OPTIONS]]`: mutation testing of the modules that carry
 * the product's guarantees (docs/testing.md). Never part of `npm test`: it runs the covering tests once
 * per mutant and takes from minutes (a pure module) to hours (a module covered end to end).
 *
 * TypeScript targets go through Stryker and its vitest runner. Stryker instruments the module in a
 * sandbox copy of the project with every mutant behind a switch; the sandbox's dist/ is built from that
 * instrumented source, and test/helpers/cli.ts hands the mutant that Stryker activated to every CLI it
 * spawns, so end-to-end tests see the mutant as well as in-process tests do. The target "solidity"
 * runs scripts/mutation-solidity.ts (operator swaps on contracts/, recompiled, contract tests).
 *
 * Options after the targets go to Stryker unchanged, e.g. `--mutate src/tx/broadcast.ts:150-190` to
 * mutate a line range only, except `--tests A,B`: these test files instead of the target's. Reports:
 * reports/mutation/TARGET.json (mutation-testing-report-schema); a run with --mutate writes
 * TARGET.PART.json instead (e.g. ledger.sqlite.ts-100-200.json), so that parts of a target add up.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { onSignalExit, runGrouped } from "./process-group";

const ROOT = path.resolve(__dirname, "..");
const REPORTS = path.join(ROOT, "reports", "mutation");
/** This run's Stryker folder (its sandboxes) and temporary folder (TMPDIR of everything it runs). */
const STRYKER_TMP = path.join(ROOT, `.stryker-tmp-${process.pid}`);
const RUN_TMP = path.join(os.tmpdir(), `sto-mutation-${process.pid}`);

interface Target {
  /** The modules mutated. */
  mutate: string[];
  /** The test files that cover them: only these run for each mutant. */
  tests: string[];
  /**
   * True when tests reach the module only through the CLI they spawn: Stryker's dry run cannot find
   * them by their imports (vitest's `related`), so every test file of the target runs in it.
   */
  endToEnd: boolean;
  what: string;
}

export const TARGETS: Record<string, Target> = {
  amounts: {
    what: "cap-table amounts: largest-remainder percentages, exact and rounded decimals",
    mutate: ["src/captable/amounts.ts"],
    tests: ["test/captable/units.test.ts"],
    endToEnd: false,
  },
  validate: {
    what: "distribution CSV validation: every field of every row, duplicates, limits",
    mutate: ["src/distribution/validate.ts"],
    tests: ["test/distribution/unit.test.ts"],
    endToEnd: false,
  },
  nonces: {
    what: "nonce allocation of an account",
    mutate: ["src/tx/nonces.ts"],
    tests: ["test/tx/ledger.test.ts", "test/tx/nonce.test.ts"],
    endToEnd: true,
  },
  // The ledger is reached by its in-process tests and, far more, by every CLI command that prepares,
  // signs, sends or updates a transaction: its end-to-end tests run too. Coverage across processes
  // makes each mutant run only the tests that reach it.
  ledger: {
    what: "the transaction ledger: the status machine and its statements in SQLite",
    mutate: ["src/tx/ledger/sqlite.ts", "src/tx/ledger/states.ts"],
    tests: [
      // Every statement of sqlite.ts in process, on a real database file: a few seconds a mutant.
      "test/tx/ledger-sqlite.test.ts",
      "test/tx/ledger.test.ts",
      "test/tx/prepare-rows.test.ts",
      "test/tx/crash.test.ts",
      "test/tx/concurrent-signing.test.ts",
      "test/tx/stuck.test.ts",
      "test/tx/update.test.ts",
      "test/tx/reorg.test.ts",
      "test/tx/nonce.test.ts",
      "test/tx/errors.test.ts",
      "test/offline/offline-signing.test.ts",
      // The ledger's views that only other commands read: tx-last, diagnose, issue-logs
      // (json-output), forget-network (restarted-chain), tx-verify, payouts, a distribution.
      "test/cli/json-output.test.ts",
      "test/cli/restarted-chain.test.ts",
      "test/corp/verify.test.ts",
      "test/corp/payout.test.ts",
      "test/distribution/single.test.ts",
    ],
    endToEnd: true,
  },
  prepare: {
    what: "preparing transactions: nonces allocated under the write lock, re-checked, all rows or none",
    mutate: ["src/tx/prepare.ts"],
    // The in-process tests first: they reach every mutant in seconds.
    tests: [
      "test/tx/prepare.test.ts",
      "test/tx/ledger.test.ts",
      "test/tx/prepare-rows.test.ts",
      "test/tx/crash.test.ts",
      "test/tx/nonce.test.ts",
      "test/distribution/concurrency.test.ts",
    ],
    endToEnd: true,
  },
  broadcast: {
    what: "write-ahead signing and broadcast, one signature per nonce",
    mutate: ["src/tx/broadcast.ts"],
    // The in-process tests first: they reach nearly every mutant in seconds.
    tests: [
      "test/tx/broadcast-pending.test.ts",
      "test/tx/broadcast-fees.test.ts",
      "test/tx/signing.test.ts",
      "test/tx/crash.test.ts",
      "test/tx/stuck.test.ts",
      "test/tx/concurrent-signing.test.ts",
      "test/offline/offline-signing.test.ts",
      "test/tx/update.test.ts",
    ],
    endToEnd: true,
  },
  scanner: {
    what: "the token scanner: chunks linked by parent hash, reorg detection and rewind",
    mutate: ["src/scan/scanner.ts"],
    tests: ["test/scan/reorg.test.ts", "test/scan/resume.test.ts", "test/scan/adaptive.test.ts"],
    endToEnd: false,
  },
};

/** The Stryker configuration of one target (written to reports/mutation/TARGET.config.json). */
function strykerConfig(name: string, target: Target): Record<string, unknown> {
  return {
    $schema: "../../node_modules/@stryker-mutator/core/schema/stryker-schema.json",
    testRunner: "vitest",
    // Stryker's dry run with `related` finds the tests that import the module; end-to-end tests do not.
    vitest: { configFile: "vitest.mutation.config.mts", related: !target.endToEnd },
    mutate: target.mutate,
    // perTest for end-to-end targets too: each sto process a test spawns reports the mutants it
    // executed back to the test (test/helpers/stryker-child-coverage.cjs), so each mutant runs only
    // the tests that reach it, in process or through the CLI.
    coverageAnalysis: "perTest",
    // The CLI under test runs the sandbox's dist/, built from the instrumented source. The sandbox's
    // contracts are copies of the ones just compiled here: its artifacts are current.
    buildCommand: `${process.execPath} --require tsx/cjs scripts/mutation.ts --build-sandbox`,
    // Two cores shared with others: one test runner at a time.
    concurrency: 1,
    tempDirName: path.basename(STRYKER_TMP),
    ignorePatterns: ["/dist", "/reports", "/coverage", "/tmp", "/scratch", "/.mutation-solidity", "/.stryker-tmp*"],
    reporters: ["clear-text", "progress", "json", "mutant-log"],
    // Every mutant's result as soon as it is known (reports/mutation/TARGET.progress.jsonl): a long run
    // stopped early keeps what it measured.
    appendPlugins: [path.join(__dirname, "stryker-mutant-log.mjs")],
    jsonReporter: { fileName: path.relative(ROOT, path.join(REPORTS, `${name}.json`)) },
    clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
    // A loaded machine: chain tests vary much in duration, a mutant is not an infinite loop for that.
    timeoutMS: 60_000,
    dryRunTimeoutMinutes: 30,
    disableTypeChecks: true,
    cleanTempDir: true,
  };
}

interface ReportMutant {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number } };
}

/** Mutation score of a report: killed / (killed + survived + not covered), in percent, and the survivors. */
export function scoreOf(report: { files: Record<string, { mutants: ReportMutant[] }> }): {
  killed: number;
  survived: number;
  noCoverage: number;
  invalid: number;
  score: number;
  survivors: string[];
} {
  let killed = 0;
  let survived = 0;
  let noCoverage = 0;
  let invalid = 0;
  const survivors: string[] = [];
  for (const [file, { mutants }] of Object.entries(report.files)) {
    for (const mutant of mutants) {
      if (mutant.status === "Killed" || mutant.status === "Timeout") killed++;
      else if (mutant.status === "Survived" || mutant.status === "NoCoverage") {
        if (mutant.status === "Survived") survived++;
        else noCoverage++;
        survivors.push(`${file}:${mutant.location.start.line}:${mutant.location.start.column} ${mutant.status} ${mutant.mutatorName}: ${mutant.replacement ?? ""}`);
      } else invalid++;
    }
  }
  const counted = killed + survived + noCoverage;
  return { killed, survived, noCoverage, invalid, score: counted === 0 ? 0 : (100 * killed) / counted, survivors };
}

/** "" for a whole target; for `--mutate src/a/b.ts:10-20,src/c.ts`, ".b.ts-10-20+c.ts". */
export function partName(options: readonly string[]): string {
  const at = options.indexOf("--mutate");
  const value = at === -1 ? undefined : options[at + 1];
  if (value === undefined) return "";
  return `.${value
    .split(",")
    .map((pattern) => path.basename(pattern).replace(/:/g, "-").replace(/[^A-Za-z0-9._-]/g, "_"))
    .join("+")}`;
}

async function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd = ROOT): Promise<number> {
  return (await runGrouped(command, args, { cwd, env, passThrough: true })).code;
}

/**
 * Stryker's buildCommand, run in the sandbox (Stryker runs it without a shell): dist/ from the
 * instrumented source. The sandbox's contracts are copies of the ones just compiled in the project, so
 * its artifacts/ are marked current rather than compiled again.
 */
async function buildSandbox(): Promise<number> {
  const code = await run("npm", ["run", "--silent", "build:ts"], process.env, process.cwd());
  const stamp = path.join(process.cwd(), "cache", "solidity-files-cache.json");
  if (fs.existsSync(stamp)) fs.utimesSync(stamp, new Date(), new Date());
  return code;
}

/**
 * SIGKILL to every process whose environment names `folder` (Linux: /proc/PID/environ): processes of
 * a stopped run that left its process groups (a detached child of a test).
 */
function killProcessesNaming(folder: string): void {
  if (!fs.existsSync("/proc")) return;
  for (const entry of fs.readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let environ: string;
    try {
      environ = fs.readFileSync(`/proc/${pid}/environ`, "utf8");
    } catch {
      continue; // ended, or not ours to read
    }
    const names = environ.split("\0").some((pair) => {
      const value = pair.slice(pair.indexOf("=") + 1);
      return value === folder || value.startsWith(`${folder}/`);
    });
    if (!names) continue;
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Ended meanwhile.
    }
  }
}

interface ProgressLine {
  at: string;
  file: string;
  line: number;
  column: number;
  mutatorName: string;
  replacement?: string;
  status: string;
  covering: number;
}

/**
 * `--summary FILE.progress.jsonl...`: the score of the mutants a run has tested so far (a run still
 * going, or one stopped early), its survivors, and the time a tested mutant took on average.
 */
function summary(files: string[]): number {
  if (files.length === 0) {
    console.error("--summary: name one or more reports/mutation/*.progress.jsonl files");
    return 2;
  }
  const read = (file: string) =>
    fs
      .readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as ProgressLine);
  const report = (name: string, lines: ProgressLine[], timed = true) => {
    const byFile: Record<string, { mutants: ReportMutant[] }> = {};
    for (const line of lines) {
      const name = path.relative(ROOT, path.resolve(ROOT, line.file));
      (byFile[name] ??= { mutants: [] }).mutants.push({
        id: String(byFile[name].mutants.length),
        mutatorName: line.mutatorName,
        replacement: line.replacement,
        status: line.status,
        location: { start: { line: line.line, column: line.column } },
      });
    }
    const score = scoreOf({ files: byFile });
    // The time between results of mutants that ran tests (not-covered ones are reported at once).
    const ran = lines.filter((line) => line.status !== "NoCoverage" && line.status !== "Ignored");
    const span = ran.length > 1 ? (Date.parse(ran[ran.length - 1].at) - Date.parse(ran[0].at)) / 1000 : 0;
    console.log(
      `${name}: ${lines.length} mutants reported, ${score.score.toFixed(1)} % of those (${score.killed} killed, ${score.survived} survived, ${score.noCoverage} not covered, ${score.invalid} other)` +
        (timed && ran.length > 1 ? `; ${ran.length} ran tests, ${(span / (ran.length - 1)).toFixed(1)} s a mutant between the first and the last` : ""),
    );
    for (const survivor of score.survivors) console.log(`    ${survivor}`);
  };
  const all: ProgressLine[][] = files.map(read);
  files.forEach((file, index) => report(path.basename(file), all[index]));
  if (files.length > 1) {
    // Passes of one target over overlapping mutants (other test files, or tests added since): a
    // mutant counts as killed when any pass killed it, and is listed once.
    const rank = (status: string) => ["Killed", "Timeout", "Survived", "NoCoverage"].indexOf(status);
    const best = new Map<string, ProgressLine>();
    for (const line of all.flat()) {
      const key = `${line.file}:${line.line}:${line.column}:${line.mutatorName}:${line.replacement ?? ""}`;
      const known = best.get(key);
      if (known === undefined || (rank(line.status) !== -1 && (rank(known.status) === -1 || rank(line.status) < rank(known.status)))) best.set(key, line);
    }
    report("combined (each mutant once, killed if any pass killed it)", [...best.values()].sort((a, b) => a.line - b.line || a.column - b.column), false);
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "--build-sandbox") return buildSandbox();
  if (argv[0] === "--summary") return summary(argv.slice(1));
  const firstOption = argv.findIndex((arg) => arg.startsWith("-"));
  const names = firstOption === -1 ? argv : argv.slice(0, firstOption);
  const passThrough = firstOption === -1 ? [] : argv.slice(firstOption);
  // --tests A,B: run these test files instead of the target's (a quicker, partial look).
  const testsAt = passThrough.indexOf("--tests");
  const testsOverride = testsAt === -1 ? undefined : passThrough.splice(testsAt, 2)[1]?.split(",");
  if (testsOverride !== undefined && (testsOverride.length === 0 || testsOverride.some((file) => !fs.existsSync(path.join(ROOT, file))))) {
    console.error(`--tests ${testsOverride.join(",")}: name existing test files, separated by commas`);
    return 2;
  }
  const known = [...Object.keys(TARGETS), "solidity"];
  const chosen = names.length > 0 ? names : known;
  const unknown = chosen.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    console.error(`unknown target ${unknown.join(", ")}: choose among ${known.join(", ")}`);
    return 2;
  }
  fs.mkdirSync(REPORTS, { recursive: true });
  // Stopped by a signal, Stryker leaves its sandbox (a copy of the project) and the test run its
  // temporary folder (vitest's global teardown never runs): both are this run's own (STRYKER_TMP,
  // RUN_TMP, so that two runs at once in this working tree do not touch each other's), and are
  // removed once the run's processes have ended, with any process that still names RUN_TMP.
  fs.mkdirSync(RUN_TMP, { recursive: true });
  onSignalExit(() => {
    killProcessesNaming(RUN_TMP);
    fs.rmSync(STRYKER_TMP, { recursive: true, force: true });
    fs.rmSync(RUN_TMP, { recursive: true, force: true });
  });
  // The sandbox copies artifacts/ as they are here: bring them up to date with contracts/ first.
  if (chosen.some((name) => name !== "solidity") && (await run("npm", ["run", "--silent", "build:contracts"])) !== 0) return 1;

  const lines: string[] = [];
  let failed = false;
  for (const name of chosen) {
    if (name === "solidity") {
      if ((await run(process.execPath, ["--require", "tsx/cjs", path.join(__dirname, "mutation-solidity.ts"), ...passThrough])) !== 0) failed = true;
      continue;
    }
    const target = { ...TARGETS[name], tests: testsOverride ?? TARGETS[name].tests };
    console.log(`\n=== ${name}: ${target.what}\n    mutating ${target.mutate.join(" ")}\n    tests ${target.tests.join(" ")}`);
    // A run of part of the target (--mutate) keeps a report of its own, so that the parts of a long
    // target, each run to its end, add up without overwriting one another.
    const reportName = `${name}${partName(passThrough)}`;
    const configFile = path.join(REPORTS, `${reportName}.config.json`);
    fs.writeFileSync(configFile, `${JSON.stringify(strykerConfig(reportName, target), null, 2)}\n`);
    const reportFile = path.join(REPORTS, `${reportName}.json`);
    fs.rmSync(reportFile, { force: true });
    const progressFile = path.join(REPORTS, `${reportName}.progress.jsonl`);
    fs.rmSync(progressFile, { force: true });
    const code = await run(
      process.execPath,
      [path.join(ROOT, "node_modules", "@stryker-mutator", "core", "bin", "stryker.js"), "run", path.relative(ROOT, configFile), ...passThrough],
      { ...process.env, TMPDIR: RUN_TMP, MUTATION_TESTS: target.tests.join(","), MUTATION_PROGRESS_LOG: progressFile },
    );
    if (code !== 0 || !fs.existsSync(reportFile)) {
      lines.push(`${name}: Stryker failed (exit ${code})`);
      failed = true;
      continue;
    }
    const score = scoreOf(JSON.parse(fs.readFileSync(reportFile, "utf8")));
    lines.push(
      `${reportName}: ${score.score.toFixed(1)} % (${score.killed} killed, ${score.survived} survived, ${score.noCoverage} not covered, ${score.invalid} invalid)`,
      ...score.survivors.map((survivor) => `    ${survivor}`),
    );
  }
  fs.rmSync(RUN_TMP, { recursive: true, force: true });
  if (fs.existsSync(STRYKER_TMP) && fs.readdirSync(STRYKER_TMP).length === 0) fs.rmSync(STRYKER_TMP, { recursive: true });
  if (lines.length > 0) console.log(`\nMutation scores (reports in ${path.relative(ROOT, REPORTS)}/):\n${lines.join("\n")}`);
  return failed ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
