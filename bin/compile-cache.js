"use strict";
/**
 * Loads the CLI bundle (dist/sto.js) with V8's compiled code for it, saved by `npm run build` next to
 * it (dist/sto.js.cache), instead of parsing and compiling its 2 MB anew at every command: about
 * 30 ms less of each command's start (docs/benchmarks.md, "Session 15: start-up from a compile
 * cache"). Node.js 22 has this built in (module.enableCompileCache), Node.js 20 does not.
 *
 * V8 checks that cached code was made by the same V8 with the same flags, but of the source only its
 * length: code cached for another bundle of the same length would run as if it were this one. So the
 * cache file starts with the SHA-256 of the bundle it was made from, and is used only for that bundle.
 * Without a usable cache the bundle is compiled as before.
 *
 *   node bin/compile-cache.js write     (run by scripts/bundle-cli.mjs after bundling)
 */
const crypto = require("node:crypto");
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");
const vm = require("node:vm");
const { Buffer } = require("node:buffer");

const MAGIC = Buffer.from("sto-v8-cache-1\n");
const HASH_BYTES = 32;

/** The cache file of a bundle. */
function cacheFileOf(bundleFile) {
  return `${bundleFile}.cache`;
}

function sha256(bytes) {
  return crypto.createHash("sha256").update(bytes).digest();
}

/** V8's cached data for `source` from `cacheFile`, or undefined when there is none made from exactly this source. */
function cachedDataFor(cacheFile, source) {
  let cache;
  try {
    cache = fs.readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  const header = MAGIC.length + HASH_BYTES;
  if (cache.length <= header || !cache.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  if (!cache.subarray(MAGIC.length, header).equals(sha256(source))) return undefined;
  return cache.subarray(header);
}

/**
 * Runs `bundleFile` as a CommonJS module, compiled from its cache where one fits, and returns its
 * exports, the compiled script and the source it was compiled from.
 */
function loadBundle(bundleFile) {
  const source = fs.readFileSync(bundleFile);
  const cachedData = cachedDataFor(cacheFileOf(bundleFile), source);
  const script = new vm.Script(Module.wrap(source.toString("utf8")), { filename: bundleFile, cachedData });
  const bundle = new Module(bundleFile, module);
  bundle.filename = bundleFile;
  bundle.paths = Module._nodeModulePaths(path.dirname(bundleFile));
  // Known to Node.js's module registry as if required (require.cache), as before.
  Module._cache[bundleFile] = bundle;
  const run = script.runInThisContext();
  run.call(bundle.exports, bundle.exports, Module.createRequire(bundleFile), bundle, bundleFile, path.dirname(bundleFile));
  bundle.loaded = true;
  return { exports: bundle.exports, script, source, cached: cachedData !== undefined && !script.cachedDataRejected };
}

/**
 * Makes the bundle's cache: loads it uncached, runs `sto --help` (which compiles the start-up path
 * and the definition of every command), then saves the code V8 compiled, after the header.
 */
async function writeCache(bundleFile) {
  const cacheFile = cacheFileOf(bundleFile);
  fs.rmSync(cacheFile, { force: true });
  const { exports, script, source } = loadBundle(bundleFile);
  const write = process.stdout.write;
  process.stdout.write = () => true;
  try {
    await exports.main([process.execPath, "sto", "--help"]);
  } finally {
    process.stdout.write = write;
  }
  const data = script.createCachedData();
  const partial = `${cacheFile}.${process.pid}.tmp`;
  // The hash of the source this code was compiled from, not of the file now: a build may have replaced it since.
  fs.writeFileSync(partial, Buffer.concat([MAGIC, sha256(source), data]));
  fs.renameSync(partial, cacheFile);
}

module.exports = { loadBundle, writeCache };

if (require.main === module && process.argv[2] === "write") {
  writeCache(path.join(__dirname, "..", "dist", "sto.js")).catch((error) => {
    console.error(`bin/compile-cache.js: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
