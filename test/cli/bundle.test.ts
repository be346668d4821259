import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT, runSto, tempDir } from "../helpers/cli";

/**
 * bin/sto runs the CLI bundled into dist/sto.js (scripts/bundle-cli.mjs): the modules a command
 * loads come from that one file, not from dist/'s or node_modules' many, apart from the packages
 * the bundle leaves outside on purpose. A require the bundler could not follow (a computed path)
 * would load a file of its own again, and show here.
 */

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** Packages loaded from node_modules by design (scripts/bundle-cli.mjs's external list and their own dependencies). */
const OUTSIDE = new Set(["better-sqlite3", "bindings", "file-uri-to-path"]);

/** The files a run of `sto args` loaded, relative to the repository. */
async function loadedFiles(name: string, args: string[]): Promise<string[]> {
  const list = path.join(tmp.dir, `${name}.json`);
  const preload = path.join(tmp.dir, "record-modules.cjs");
  fs.writeFileSync(
    preload,
    `process.on("exit", () => require("node:fs").writeFileSync(process.env.LOADED_MODULES_FILE, JSON.stringify(Object.keys(require.cache))));\n`,
  );
  const result = await runSto(args, { env: { NODE_OPTIONS: `--require ${preload}`, LOADED_MODULES_FILE: list } });
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(fs.readFileSync(list, "utf8")) as string[]).filter((file) => file !== preload).map((file) => path.relative(REPO_ROOT, file));
}

describe("the bundled CLI", () => {
  it.each([
    ["tx-last", ["--database-file", "DB", "tx-last"]],
    ["distribute-multiple --help", ["distribute-multiple", "--help"]],
    ["ethereum-create-account", ["ethereum-create-account"]],
  ])("%s loads its code from dist/sto.js only", async (name, args) => {
    const files = await loadedFiles(
      name.replace(/\W+/g, "-"),
      args.map((arg) => (arg === "DB" ? path.join(tmp.dir, "audit.sqlite") : arg)),
    );
    expect(files).toContain(path.join("dist", "sto.js"));
    expect(files.filter((file) => file.startsWith(`dist${path.sep}`))).toEqual([path.join("dist", "sto.js")]);
    const packages = new Set(files.filter((file) => file.startsWith("node_modules")).map((file) => file.split(path.sep)[1]));
    expect([...packages].filter((name) => !OUTSIDE.has(name))).toEqual([]);
  });
});
