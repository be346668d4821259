import fs from "node:fs";
import path from "node:path";
import { Contract, parseUnits } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContractArtifacts } from "../../src/contracts/artifacts";
import { removeAfterFile } from "../helpers/cleanup";
import { startWorld, type E2eWorld } from "../helpers/e2e";
import { issueToken, randomAddresses, settle } from "./helpers";

interface TransactionRow {
  id: number;
  nonce: number;
  note: string;
  external_id: string | null;
  function_signature: string | null;
}

/**
 * Four sto processes preparing at once on one PostgreSQL database, as four operators on four
 * machines would: two distributions whose CSV files share half their rows, a third one sharing rows
 * with both, and an issue of another token. A barrier (STO_TEST_BARRIER, src/tx/faults.ts) holds
 * each process once it has planned and estimated, until all four have: then all four ask for the
 * account's write lock at the same moment, and each one's plan was made for the same next nonce.
 */
describe("four processes preparing at once on one PostgreSQL database", () => {
  let world: E2eWorld;
  let tokenAddress: string;
  beforeAll(async () => {
    world = await startWorld({ engine: "postgresql" });
    tokenAddress = await issueToken(world, { amount: "100000" });
  });
  afterAll(() => world.close());

  it("get contiguous nonces, and every external_id is paid once", async () => {
    const receivers = randomAddresses(40);
    const line = (index: number) => `pay-${index},,,${receivers[index]},${index + 1}`;
    const csv = (name: string, indexes: number[]): string => {
      const file = path.join(world.dir, name);
      fs.writeFileSync(file, ["external_id,email,name,address,amount", ...indexes.map(line)].join("\n"));
      return file;
    };
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, offset) => from + offset);
    const files = [csv("a.csv", range(0, 20)), csv("b.csv", range(10, 30)), csv("c.csv", [...range(0, 5), ...range(25, 40)])];
    const before = (await world.rows<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions"))[0].n;

    const barrier = removeAfterFile(fs.mkdtempSync(path.join(world.dir, "barrier-")));
    const env = { STO_TEST_BARRIER: `before-allocate:${barrier}:4` };
    const runs = await Promise.all([
      ...files.map((file) => world.sto(["distribute-multiple", `--csv-input=${file}`, `--address=${tokenAddress}`], { env, globals: ["--log-level", "debug"] })),
      world.sto(["issue", "--symbol=SEC", "--name=Second corp", "--url=https://second.example", "--amount=5"], { env }),
    ]);
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    // All four met at the barrier: none had finished before another started preparing.
    expect(fs.readdirSync(barrier)).toHaveLength(4);

    const rows = await world.rows<TransactionRow>(
      "SELECT id, nonce, note, external_id, function_signature FROM prepared_transactions WHERE nonce >= ? ORDER BY nonce",
      before,
    );
    // Contiguous: every nonce from the first new one on, none twice, no gap.
    expect(rows.map((row) => row.nonce)).toEqual(range(before, before + rows.length));
    // The issue's four transactions stayed together.
    const issue = rows.filter((row) => /Second corp/.test(row.note));
    expect(issue).toHaveLength(4);
    expect(issue.map((row) => row.nonce)).toEqual(range(issue[0].nonce, issue[0].nonce + 4));
    // Each of the 40 external ids has one transfer and one active payment pointing at it.
    const transfers = rows.filter((row) => row.function_signature === "transfer(address,uint256)");
    expect(transfers.map((row) => row.external_id).sort()).toEqual(range(0, 40).map((index) => `pay-${index}`).sort());
    const payments = await world.rows<{ external_id: string; transaction_id: number }>(
      "SELECT external_id, transaction_id FROM distribution_payments WHERE superseded_at IS NULL ORDER BY external_id",
    );
    expect(payments).toHaveLength(40);
    const byId = new Map(transfers.map((row) => [row.id, row.external_id]));
    for (const payment of payments) expect(byId.get(payment.transaction_id)).toBe(payment.external_id);
    // At least one distribution found rows another had just prepared, and planned again.
    expect(runs.slice(0, 3).some((run) => /planning again/.test(run.stderr))).toBe(true);

    await settle(world);
    const token = new Contract(tokenAddress, new ContractArtifacts().get("SecurityToken").abi, world.provider);
    const balances = await Promise.all(receivers.map((receiver) => token.balanceOf(receiver) as Promise<bigint>));
    expect(balances).toEqual(receivers.map((_, index) => parseUnits(String(index + 1), 18)));
    const statuses = await world.rows<{ status: string; n: number }>("SELECT status, count(*) AS n FROM prepared_transactions GROUP BY status");
    expect(statuses).toEqual([{ status: "success", n: before + rows.length }]);
  });
});
