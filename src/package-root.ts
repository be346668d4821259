import path from "node:path";

/** The project root: one level above this file both in src/ and dist/. */
export const PACKAGE_ROOT = path.resolve(__dirname, "..");
