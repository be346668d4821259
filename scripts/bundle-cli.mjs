/**
 * Bundles the compiled CLI (dist/cli/main.js and everything it requires, ethers and drizzle
 * included) into one file, dist/sto.js, which bin/sto runs. Node.js resolves, reads and wraps every
 * module file on its own: `sto tx-broadcast` loaded about 400 of them, and a command that does
 * little else used about 30 % more CPU than from the bundle (docs/benchmarks.md, "Session 12:
 * start-up"). In the bundle every module is
 * still evaluated only when first required (esbuild keeps tsc's CommonJS modules as lazy
 * closures), so a command still runs only its own code.
 *
 * Left outside, loaded from node_modules as before: native addons (better-sqlite3), packages
 * loaded only by some commands and large (hardhat, for `sto node`; pg, for PostgreSQL), and ws's
 * optional native helpers.
 *
 * Then saves V8's compiled code of the bundle beside it, dist/sto.js.cache (bin/compile-cache.js).
 *
 *   node scripts/bundle-cli.mjs        (run by `npm run build:ts`, after tsc)
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

await build({
  entryPoints: [path.join(root, "dist", "cli", "main.js")],
  outfile: path.join(root, "dist", "sto.js"),
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  // package-root.ts and version.ts find the package by their __dirname, dist/: in the bundle that
  // is the bundle's own folder, dist/ again.
  external: ["better-sqlite3", "pg", "pg-native", "hardhat", "bufferutil", "utf-8-validate"],
  // Without comments and blank space the file is a third smaller, and Node.js reads and compiles it
  // faster (about 60 ms less CPU a command); names are kept, so a stack trace still names functions.
  minifyWhitespace: true,
  minifySyntax: true,
  // dist/sto.js.map leads back to src/ through tsc's maps; bin/sto turns it on at --log-level debug.
  sourcemap: "linked",
  logLevel: "warning",
});

// V8's compiled code of the bundle, which bin/sto loads instead of compiling the bundle at every
// command (bin/compile-cache.js). Made by this machine's Node.js: another version ignores it.
execFileSync(process.execPath, [path.join(root, "bin", "compile-cache.js"), "write"], { stdio: "inherit" });
