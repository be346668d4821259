import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT, runSto, tempDir } from "../helpers/cli";

/**
 * bin/sto loads dist/sto.js with V8's code compiled for it at build time (bin/compile-cache.js).
 * Each check runs in a fresh Node.js process: V8 keeps compiled code in memory too, and only a new
 * process shows what the cache file alone does.
 */

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const LOADER = path.join(REPO_ROOT, "bin", "compile-cache.js");

/** Runs `code` in a new Node.js process with the loader as `cache`; returns its standard output. */
function node(code: string): string {
  return execFileSync(process.execPath, ["-e", `const cache = require(${JSON.stringify(LOADER)});\n${code}`], { encoding: "utf8" }).trim();
}

describe("the compile cache of the CLI bundle", () => {
  it("is built with the bundle and taken by V8", () => {
    const bundle = path.join(REPO_ROOT, "dist", "sto.js");
    expect(fs.statSync(`${bundle}.cache`).size).toBeGreaterThan(100_000);
    expect(node(`console.log(cache.loadBundle(${JSON.stringify(bundle)}).cached)`)).toBe("true");
  });

  it("is not used for a bundle it was not made from, even one of the same length", () => {
    // V8 itself compares only the length of the source: with the cache of `a1`, the function below
    // would go on answering "a1" after the bundle says "b2".
    const bundle = path.join(tmp.dir, "bundle.js");
    fs.writeFileSync(bundle, `exports.main = async () => { exports.answer(); return 0; };\nexports.answer = () => "a1";\n`);
    node(`cache.writeCache(${JSON.stringify(bundle)})`);
    const load = `const loaded = cache.loadBundle(${JSON.stringify(bundle)}); console.log(loaded.exports.answer(), loaded.cached)`;
    expect(node(load)).toBe("a1 true");
    fs.writeFileSync(bundle, fs.readFileSync(bundle, "utf8").replace("a1", "b2"));
    expect(node(load)).toBe("b2 false");
  });

  it.each([
    ["without a cache", undefined],
    ["with a cache file of garbage", Buffer.from("sto-v8-cache-1\nnot a hash, not V8's data")],
    ["with another build's cache", "other"],
  ])("leaves the CLI working %s", (_name, cacheBytes) => {
    const copy = fs.mkdtempSync(path.join(tmp.dir, "copy-"));
    fs.mkdirSync(path.join(copy, "dist"));
    fs.cpSync(path.join(REPO_ROOT, "bin"), path.join(copy, "bin"), { recursive: true });
    fs.copyFileSync(path.join(REPO_ROOT, "package.json"), path.join(copy, "package.json"));
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(copy, "node_modules"));
    const bundle = path.join(copy, "dist", "sto.js");
    if (cacheBytes === "other") {
      // The real cache, beside a bundle that differs from its own by one comment.
      fs.writeFileSync(bundle, `${fs.readFileSync(path.join(REPO_ROOT, "dist", "sto.js"), "utf8")}\n// another build\n`);
      fs.copyFileSync(path.join(REPO_ROOT, "dist", "sto.js.cache"), `${bundle}.cache`);
    } else {
      fs.copyFileSync(path.join(REPO_ROOT, "dist", "sto.js"), bundle);
      if (cacheBytes) fs.writeFileSync(`${bundle}.cache`, cacheBytes);
    }
    expect(node(`console.log(cache.loadBundle(${JSON.stringify(bundle)}).cached)`)).toBe("false");
    const version = execFileSync(process.execPath, [path.join(copy, "bin", "sto"), "--version"], { encoding: "utf8" }).trim();
    expect(version).toBe(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).version);
  });

  it("is not used at --log-level debug, where Node.js loads the bundle itself to apply its source map", async () => {
    const preload = path.join(tmp.dir, "record-loader.cjs");
    const record = path.join(tmp.dir, "loaded.json");
    fs.writeFileSync(
      preload,
      `process.on("exit", () => require("node:fs").writeFileSync(process.env.RECORD_FILE, JSON.stringify(Object.keys(require.cache))));\n`,
    );
    const env = { NODE_OPTIONS: `--require ${preload}`, RECORD_FILE: record };
    const loaded = async (args: string[]) => {
      const result = await runSto(args, { env });
      expect(result.code, result.stderr).toBe(0);
      return (JSON.parse(fs.readFileSync(record, "utf8")) as string[]).map((file) => path.relative(REPO_ROOT, file));
    };
    expect(await loaded(["--version"])).toContain(path.join("bin", "compile-cache.js"));
    const debug = await loaded(["--log-level", "debug", "--version"]);
    expect(debug).toContain(path.join("dist", "sto.js"));
    expect(debug).not.toContain(path.join("bin", "compile-cache.js"));
  });
});
