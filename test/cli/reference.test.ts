import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, runSto } from "../helpers/cli";

describe("sto reference", () => {
  it("prints the command reference that docs/reference.md holds (regenerate with npm run docs:reference)", async () => {
    const result = await runSto(["reference"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("## tx-broadcast");
    const committed = fs.readFileSync(path.join(REPO_ROOT, "docs", "reference.md"), "utf8");
    expect(committed).toBe(result.stdout);
  });

  it("documents every command of --help", async () => {
    const help = await runSto(["--help"]);
    const commands = [...help.stdout.matchAll(/^ {2}([a-z][a-z0-9-]+)/gm)].map((match) => match[1]).filter((name) => name !== "help");
    expect(commands.length).toBeGreaterThan(10);
    const reference = fs.readFileSync(path.join(REPO_ROOT, "docs", "reference.md"), "utf8");
    for (const command of commands) expect(reference).toContain(`## ${command}\n`);
  });
});
