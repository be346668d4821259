import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { POSTGRES_URL_VARIABLE } from "./helpers/postgres";
import { startPostgres } from "../src/devtools/embedded-postgres";

/**
 * The end-to-end tests run the real CLI from dist/ and artifacts/, so a run of any test file
 * (`npx vitest run FILE`, `npm run test:faults`) first brings them up to date with src/ and contracts/.
 * When nothing changed since the last build (as after `npm ci`) this only compares modification times.
 */
const ROOT = path.resolve(__dirname, "..");

const BUILDS = [
  // The bundle's compile cache (dist/sto.js.cache) is written last: it is the stamp, so a build that failed halfway is redone.
  {
    what: "dist/",
    script: "build:ts",
    inputs: ["src", "tsconfig.json", "tsconfig.build.json", "scripts/bundle-cli.mjs", "bin/compile-cache.js"],
    stamp: "dist/sto.js.cache",
  },
  { what: "artifacts/", script: "build:contracts", inputs: ["contracts", "hardhat.config.ts"], stamp: "cache/solidity-files-cache.json" },
];

/** The newest file (and its modification time) under these paths. */
function newest(paths: string[]): { file: string; mtimeMs: number } {
  let result = { file: "", mtimeMs: 0 };
  const visit = (file: string): void => {
    const stat = fs.statSync(file);
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(file)) visit(path.join(file, entry));
    } else if (stat.mtimeMs > result.mtimeMs) {
      result = { file, mtimeMs: stat.mtimeMs };
    }
  };
  for (const input of paths) visit(path.join(ROOT, input));
  return result;
}

function buildWhenStale(): void {
  for (const build of BUILDS) {
    const stamp = path.join(ROOT, build.stamp);
    const built = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
    const input = newest(build.inputs);
    if (input.mtimeMs <= built) continue;
    const reason = built === 0 ? `${build.what} was never built` : `${path.relative(ROOT, input.file)} is newer than ${build.what}`;
    console.log(`${reason}: npm run ${build.script}`);
    try {
      execFileSync("npm", ["run", "--silent", build.script], { cwd: ROOT, stdio: "inherit" });
    } catch {
      throw new Error(`${reason}, and \`npm run ${build.script}\` failed (output above): the tests would run a stale ${build.what}`);
    }
    // A build that found nothing to do leaves its stamp untouched; the inputs are now known to be built.
    const now = new Date();
    fs.utimesSync(stamp, now, now);
  }
}

/**
 * The run's processes carry this variable (without the STO_ prefix that the CLI helpers strip), so the
 * teardown can find any that outlived their test file, whoever spawned them.
 */
const RUN_MARKER = "STOTEST_RUN";

/** Every live process other than this one whose environment carries the marker, as "pid command". */
function processesOfThisRun(value: string): { pid: number; command: string }[] {
  if (!fs.existsSync("/proc/self/environ")) return [];
  const needle = `${RUN_MARKER}=${value}\0`;
  const found: { pid: number; command: string }[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (!fs.readFileSync(`/proc/${pid}/environ`, "latin1").includes(needle)) continue;
      // vitest's own workers (children of this process) are closed by vitest after the teardown.
      if (/^PPid:\s*(\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, "latin1"))?.[1] === String(process.pid)) continue;
      found.push({ pid, command: fs.readFileSync(`/proc/${pid}/cmdline`, "latin1").replace(/\0/g, " ").trim() });
    } catch {
      // The process ended while being read, or is not ours to read.
    }
  }
  return found;
}

/**
 * Builds when stale, then gives the run its own temporary folder (TMPDIR, inherited by the test workers
 * and every process they spawn) and marks its processes, and starts the run's PostgreSQL server. The
 * teardown stops the server, then fails the run when a temporary file or a process outlived the tests,
 * naming them, and removes them.
 */
export default async function setup(): Promise<() => Promise<void>> {
  buildWhenStale();
  const temporary = fs.mkdtempSync(path.join(os.tmpdir(), "sto-vitest-"));
  const previousTmpdir = process.env.TMPDIR;
  process.env.TMPDIR = temporary;
  process.env[RUN_MARKER] = temporary;
  const postgres = await startPostgres(temporary);
  process.env[POSTGRES_URL_VARIABLE] = postgres.url;
  return async () => {
    await postgres.stop();
    delete process.env[POSTGRES_URL_VARIABLE];
    if (previousTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previousTmpdir;
    const problems: string[] = [];
    let strays = processesOfThisRun(temporary);
    // A process killed at the very end of its file may still be exiting.
    for (let waited = 0; strays.length > 0 && waited < 10_000; waited += 250) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      strays = processesOfThisRun(temporary);
    }
    for (const stray of strays) {
      problems.push(`process ${stray.pid} still running: ${stray.command}`);
      try {
        process.kill(stray.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    const left = fs.readdirSync(temporary);
    if (left.length > 0) problems.push(`left in the temporary folder: ${left.join(", ")}`);
    fs.rmSync(temporary, { recursive: true, force: true });
    if (problems.length === 0) return;
    // vitest reports a teardown error but keeps its exit code; the run must fail.
    process.exitCode = 1;
    throw new Error(`the tests left things behind (test/global-setup.ts):\n${problems.join("\n")}`);
  };
}
