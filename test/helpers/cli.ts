import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { unusedLoopbackPort } from "../../src/devtools/ports";
import { killAfterFile, removeAfterFile } from "./cleanup";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const STO_BIN = path.join(REPO_ROOT, "bin", "sto");

export interface StoResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
}

/** Runs the real `sto` executable (bin/sto over dist/) as a user would, and collects its output. */
export function runSto(args: string[], options: RunOptions = {}): Promise<StoResult> {
  return spawnSto(args, options).result;
}

/** Like runSto, with the child process at hand (the fault tests kill it at chosen moments). */
export function spawnSto(args: string[], options: RunOptions = {}): { child: ChildProcess; result: Promise<StoResult> } {
  const coverageFile = childCoverageFile();
  const child = killAfterFile(
    spawn(process.execPath, [STO_BIN, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...cleanEnv(), ...childCoverageEnv(coverageFile), ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    }),
  );
  const result = new Promise<StoResult>((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 90_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      mergeChildCoverage(coverageFile);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin?.end(options.input ?? "");
  });
  return { child, result };
}

/** The environment without any STO_* variable of the developer's shell. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("STO_")) env[key] = value;
  }
  env.NO_COLOR = "1";
  return { ...env, ...activeMutantEnv() };
}

/**
 * Under `npm run test:mutation` (scripts/mutation.ts) the CLI runs the sandbox's build of the
 * instrumented source, where every mutant is switched off unless this variable names it: the child
 * gets the mutant that Stryker activated in this test process, so end-to-end tests see it too.
 */
function activeMutantEnv(): NodeJS.ProcessEnv {
  const active = (globalThis as { __stryker__?: { activeMutant?: string | number } }).__stryker__?.activeMutant;
  return active === undefined ? {} : { __STRYKER_ACTIVE_MUTANT__: String(active) };
}

interface MutantCoverage {
  static: Record<string, number>;
  perTest: Record<string, Record<string, number>>;
}
type StrykerNamespace = { currentTestId?: string; mutantCoverage?: MutantCoverage };

let childCoverageFiles = 0;

/**
 * During Stryker's dry run (a test is running with a test id), where the spawned sto process leaves
 * the mutants it executed (test/helpers/stryker-child-coverage.cjs); otherwise none.
 */
function childCoverageFile(): string | undefined {
  const ns = (globalThis as { __stryker__?: StrykerNamespace }).__stryker__;
  if (ns?.currentTestId === undefined) return undefined;
  childCoverageFiles += 1;
  return path.join(os.tmpdir(), `stryker-child-coverage-${process.pid}-${childCoverageFiles}.json`);
}

function childCoverageEnv(file: string | undefined): NodeJS.ProcessEnv {
  if (file === undefined) return {};
  const hook = path.join(__dirname, "stryker-child-coverage.cjs");
  return { STRYKER_CHILD_COVERAGE_FILE: file, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require ${hook}`.trim() };
}

/** The child's executed mutants counted as covered by the test that spawned it. */
function mergeChildCoverage(file: string | undefined): void {
  if (file === undefined || !fs.existsSync(file)) return;
  const child = JSON.parse(fs.readFileSync(file, "utf8")) as MutantCoverage;
  fs.rmSync(file, { force: true });
  const ns = (globalThis as { __stryker__?: StrykerNamespace }).__stryker__;
  if (!ns?.currentTestId) return;
  const coverage = (ns.mutantCoverage ??= { static: {}, perTest: {} });
  const test = (coverage.perTest[ns.currentTestId] ??= {});
  for (const hits of [child.static, ...Object.values(child.perTest)]) {
    for (const [mutant, count] of Object.entries(hits ?? {})) test[mutant] = (test[mutant] ?? 0) + count;
  }
}

/**
 * The URL of a node that is not there: a loopback port this process just listened on and closed
 * (rather than assuming some fixed port is closed on every machine).
 */
export async function closedNodeUrl(): Promise<string> {
  return `http://127.0.0.1:${await unusedLoopbackPort()}`;
}

/** A fresh temporary directory, removed by the returned cleanup function or else when the test file ends. */
export function tempDir(prefix = "sto-test-"): { dir: string; cleanup: () => void } {
  const dir = removeAfterFile(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
