import fs from "node:fs";
import path from "node:path";

/** The version of this sto, from its package.json (one directory above both src/ and dist/). */
export const STO_VERSION: string = (
  JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")) as { version: string }
).version;
