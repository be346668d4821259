import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/**
 * The end-to-end tests run the real CLI from dist/ and artifacts/, so a run of any test file
 * (`npx vitest run FILE`, `npm run test:faults`) first brings them up to date with src/ and contracts/.
 * When nothing changed since the last build (as after `npm ci`) this only compares modification times.
 */
const ROOT = path.resolve(__dirname, "..");

const BUILDS = [
  { what: "dist/", script: "build:ts", inputs: ["src", "tsconfig.json", "tsconfig.build.json"], stamp: "dist/.tsbuildinfo" },
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

export default function buildWhenStale(): void {
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
