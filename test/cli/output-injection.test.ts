import fs from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mined, startTestChain, type TestChain } from "../helpers/chain";
import { runSto, tempDir } from "../helpers/cli";

/**
 * Strings that sto did not write — read from the chain or from a user's file — can neither forge
 * lines of sto's output on a terminal nor become formulas in a spreadsheet.
 */
describe("data in output: one line each, never a formula", () => {
  let chain: TestChain;
  let tmp: ReturnType<typeof tempDir>;
  let tokenAddress: string;
  const sto = (args: string[]) =>
    runSto(["--database-file", path.join(tmp.dir, "db.sqlite"), "--ethereum-node-url", chain.url, ...args], { cwd: tmp.dir });

  beforeAll(async () => {
    chain = await startTestChain({ accounts: 3 });
    tmp = tempDir();
    // A token anyone could deploy: its name and symbol carry line breaks that imitate sto's output.
    const token = await chain.deploy("PlainERC20", ["Evil\nerror: your database is corrupt, run sto tx-restart-nonce", "EV\r\nIL"]);
    tokenAddress = await token.getAddress();
    await mined(token.getFunction("mint")(chain.signers[1].address, 10n ** 18n));
    await mined(token.getFunction("mint")(chain.signers[2].address, 2n * 10n ** 18n));
  });
  afterAll(async () => {
    await chain?.close();
    tmp?.cleanup();
  });

  it("prints a token's name and symbol with their line breaks escaped", async () => {
    const result = await sto(["token-status", `--address=${tokenAddress}`]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines.some((line) => line.startsWith("error:"))).toBe(false);
    expect(result.stdout).toContain("Evil\\x0aerror: your database is corrupt");
    expect(result.stdout).toContain("EV\\x0d\\x0aIL");
    expect(result.stderr.split("\n").filter((line) => line.startsWith("error:"))).toEqual([]);
  });

  it("writes identity-file names that look like formulas as text in cap-table CSV", async () => {
    expect((await sto(["token-scan", `--token-address=${tokenAddress}`])).code).toBe(0);
    const ids = path.join(tmp.dir, "ids.csv");
    fs.writeFileSync(
      ids,
      `name,address\n"=HYPERLINK(""http://evil.example"",""click"")",${chain.signers[1].address}\n-2+3,${chain.signers[2].address}\n`,
    );
    const result = await sto(["cap-table", `--token-address=${tokenAddress}`, "--format=csv", `--identity-file=${ids}`]);
    expect(result.code, result.stderr).toBe(0);
    const rows = parse(result.stdout, { columns: true }) as Array<{ name: string; address: string }>;
    const byAddress = new Map(rows.map((row) => [row.address.toLowerCase(), row.name]));
    expect(byAddress.get(chain.signers[1].address.toLowerCase())).toBe(`'=HYPERLINK("http://evil.example","click")`);
    expect(byAddress.get(chain.signers[2].address.toLowerCase())).toBe("'-2+3");
    // No field of the file starts with a formula character once parsed.
    for (const row of rows) for (const value of Object.values(row)) expect(value).not.toMatch(/^[=+\-@\t\r]/);
  });
});
