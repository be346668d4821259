import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorld, type E2eWorld } from "../helpers/e2e";
import { balancesOf, issueToken, randomAddresses, settle } from "./helpers";

const RECEIVERS = 1000;
const BATCH = 250;

describe("batch mode", () => {
  let world: E2eWorld;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(() => world.close());

  it(`pays ${RECEIVERS} receivers in batchTransfers of ${BATCH}, each audited with its external_id`, async () => {
    const tokenAddress = await issueToken(world, { amount: "1000000" });
    const receivers = randomAddresses(RECEIVERS);
    // Amounts with up to 18 decimals, all different: a wrong pairing of receiver and amount shows.
    const amounts = receivers.map((_, index) => `${index + 1}.${String(index).padStart(18, "0")}`);
    const units = amounts.map((amount) => BigInt(amount.replace(".", "")));
    const lines = ["external_id,email,name,address,amount", ...receivers.map((address, index) => `pay-${index},h${index}@example.com,Holder ${index},${address},${amounts[index]}`)];
    const csv = path.join(world.dir, "thousand.csv");
    fs.writeFileSync(csv, `${lines.join("\n")}\n`);

    const distributed = await world.ok(["distribute-multiple", `--csv-input=${csv}`, `--address=${tokenAddress}`, `--batch-size=${BATCH}`]);
    expect(distributed.stdout).toContain(`Distribution created ${RECEIVERS / BATCH} new transactions for ${RECEIVERS} rows; already in the database: 0 transactions for 0 rows`);
    expect(distributed.stdout).toMatch(/Distributing [\d.]+ shares to 250 receivers \(external_id pay-0 … pay-249\)/);

    const transactions = world.query<{ id: number; external_id: string | null; function_signature: string; gas_limit: string }>(
      "SELECT id, external_id, function_signature, gas_limit FROM prepared_transactions WHERE function_signature LIKE 'batchTransfer%' AND to_address = ? ORDER BY nonce",
      tokenAddress,
    );
    expect(transactions).toHaveLength(RECEIVERS / BATCH);
    expect(transactions.every((tx) => tx.external_id === null)).toBe(true);
    const payments = world.query<{ external_id: string; receiver: string; amount: string; transaction_id: number }>(
      "SELECT external_id, receiver, amount, transaction_id FROM distribution_payments WHERE token_address = ? ORDER BY id",
      tokenAddress,
    );
    expect(payments.map((payment) => [payment.external_id, payment.receiver, payment.amount])).toEqual(
      receivers.map((address, index) => [`pay-${index}`, address, units[index].toString()]),
    );
    expect(payments.map((payment) => payment.transaction_id)).toEqual(receivers.map((_, index) => transactions[Math.floor(index / BATCH)].id));

    await settle(world);
    const outcomes = world.query<{ status: string; gas_used: string; gas_limit: string }>(
      "SELECT status, gas_used, gas_limit FROM prepared_transactions WHERE function_signature LIKE 'batchTransfer%'",
    );
    for (const outcome of outcomes) {
      expect(outcome.status).toBe("success");
      expect(BigInt(outcome.gas_used)).toBeLessThan(BigInt(outcome.gas_limit));
    }
    expect(await balancesOf(world, tokenAddress, receivers)).toEqual(units);

    const again = await world.ok(["distribute-multiple", `--csv-input=${csv}`, `--address=${tokenAddress}`, `--batch-size=${BATCH}`]);
    expect(again.stdout).toContain(`Distribution created 0 new transactions for 0 rows; already in the database: ${RECEIVERS / BATCH} transactions for ${RECEIVERS} rows`);
  });

  it("refuses a batch size whose transaction cannot fit in a block, saying which size fits", async () => {
    const tokenAddress = await issueToken(world);
    const receivers = randomAddresses(2500);
    const csv = path.join(world.dir, "big.csv");
    fs.writeFileSync(csv, ["external_id,email,name,address,amount", ...receivers.map((address, index) => `big-${index},,,${address},1`)].join("\n"));
    const result = await world.sto(["distribute-multiple", `--csv-input=${csv}`, `--address=${tokenAddress}`, "--batch-size=2500"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--batch-size 2500: a batchTransfer to 2500 receivers may need \d+ gas, more than the block gas limit \d+ of local; use --batch-size \d+ or less/);
  });
});
