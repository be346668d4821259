import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { killAfterFile } from "../helpers/cleanup";
import { REPO_ROOT, tempDir } from "../helpers/cli";

describe("npm run demo", () => {
  it("runs the manual's tutorial end to end on a fresh local chain", async () => {
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      // Its own process group: if the test times out, the demo and the sto processes it runs are killed together.
      // Its folder in a temporary folder of this file: removed with the file, also when the demo was killed
      // before it could remove it.
      const env = { ...process.env, TMPDIR: tempDir("sto-demo-test-").dir };
      const child = killAfterFile(spawn(process.execPath, [path.join(REPO_ROOT, "dist", "demo", "run-demo.js")], { cwd: REPO_ROOT, detached: true, env }));
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("$ sto --config=myconfig.ini issue");
    expect(result.stdout).toMatch(/success:\d+ +│ +5 │/);
    expect(result.stdout).toContain("Total supply: 10000");
    expect(result.stdout).toMatch(/\$ sto --config=myconfig.ini cap-table [^\n]*\n[^]*Holder count: +\d+\n/);
    expect(result.stdout).toMatch(/Paying [\d.]+ CST to 3 holders in 1 transaction;/);
    expect(result.stdout).toMatch(/Voters: 2; voted 500 of 512\.5 eligible STO/);
    expect(result.stdout).toContain("Demo finished.");
    // Every step numbered once, in order, as docs/getting-started.md cites them.
    const numbers = [...result.stdout.matchAll(/^## (\d+)\. /gm)].map((match) => Number(match[1]));
    expect(numbers).toEqual(numbers.map((_, index) => index + 1));
    expect(numbers.length).toBe(28);
    expect(result.stdout).toMatch(/^## 13\. Scan all transactions of the security token\n\$ sto --config=myconfig.ini token-scan /m);
    expect(result.stdout).toMatch(/^## 14\. View the cap table\n\$ sto --config=myconfig.ini cap-table /m);
    // Its 28 steps took longer than the default 120 s on a loaded two-core machine.
  }, 300_000);
});
