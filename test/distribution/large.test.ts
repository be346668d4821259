import fs from "node:fs";
import path from "node:path";
import { JsonRpcProvider, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEVELOPMENT_PRIVATE_KEY } from "../../src/chain/local-node";
import { ContractArtifacts } from "../../src/contracts/artifacts";
import { openDatabase } from "../../src/db/database";
import type { TxEnvironment } from "../../src/tx/environment";
import { prepareTransactionStream, STREAM_CHUNK, type TransactionBuilder } from "../../src/tx/prepare";
import { startWorld, type E2eWorld } from "../helpers/e2e";
import { issueToken, randomAddresses } from "./helpers";

/**
 * Distributions larger than one piece of the streamed plan (src/tx/prepare.ts, STREAM_CHUNK rows
 * planned and inserted at a time): every payment must still land on its own transaction across the
 * piece boundaries, the JSON output must list every transaction, and a failure in a late piece must
 * leave nothing written.
 */
describe("distributions larger than one piece of the plan", () => {
  let world: E2eWorld;
  let tokenAddress: string;
  const ROWS = 2 * STREAM_CHUNK + 345;

  beforeAll(async () => {
    world = await startWorld();
    tokenAddress = await issueToken(world, { amount: "100000000" });
  });
  afterAll(() => world.close());

  function writeCsv(name: string, receivers: readonly string[], prefix: string): string {
    const lines = ["external_id,email,name,address,amount", ...receivers.map((address, index) => `${prefix}${index},,Holder ${index},${address},${index + 1}`)];
    const file = path.join(world.dir, name);
    fs.writeFileSync(file, `${lines.join("\n")}\n`);
    return file;
  }

  function paymentsWithTransactions(prefix: string) {
    return world.query<{ external_id: string; receiver: string; amount: string; nonce: number; tx_external_id: string | null; tx_receiver: string; function_signature: string }>(
      `SELECT p.external_id, p.receiver, p.amount, t.nonce, t.external_id AS tx_external_id, t.receiver AS tx_receiver, t.function_signature
         FROM distribution_payments p JOIN prepared_transactions t ON t.id = p.transaction_id
        WHERE p.external_id LIKE ? ORDER BY p.id`,
      `${prefix}%`,
    );
  }

  it(`prepares ${ROWS} transfers, each payment on its own transaction, and lists them all in JSON`, async () => {
    const receivers = randomAddresses(ROWS);
    const csv = writeCsv("single.csv", receivers, "single-");
    const nonceBefore = world.query<{ next_nonce: number }>("SELECT next_nonce FROM broadcast_accounts")[0].next_nonce;
    const result = await world.ok(["distribute-multiple", `--csv-input=${csv}`, `--address=${tokenAddress}`], { globals: ["--json"] });
    const printed = JSON.parse(result.stdout) as { newTransactions: number; newRows: number; transactions: { nonce: number; externalId: string; receiver: string; status: string }[] };
    expect(printed.newTransactions).toBe(ROWS);
    expect(printed.newRows).toBe(ROWS);
    expect(printed.transactions.map((tx) => tx.nonce)).toEqual(receivers.map((_, index) => nonceBefore + index));
    expect(printed.transactions.map((tx) => [tx.externalId, tx.receiver, tx.status])).toEqual(receivers.map((address, index) => [`single-${index}`, address, "waiting"]));

    const payments = paymentsWithTransactions("single-");
    expect(payments.map((payment) => [payment.external_id, payment.receiver, payment.amount, payment.nonce])).toEqual(
      receivers.map((address, index) => [`single-${index}`, address, `${index + 1}${"0".repeat(18)}`, nonceBefore + index]),
    );
    expect(payments.every((payment) => payment.tx_external_id === payment.external_id && payment.tx_receiver === payment.receiver)).toBe(true);
    expect(world.query<{ next_nonce: number }>("SELECT next_nonce FROM broadcast_accounts")[0].next_nonce).toBe(nonceBefore + ROWS);
  });

  it("pairs batches with their rows across the pieces, and the table shows the first 100 transactions", async () => {
    const receivers = randomAddresses(ROWS);
    const csv = writeCsv("batch.csv", receivers, "batch-");
    const nonceBefore = world.query<{ next_nonce: number }>("SELECT next_nonce FROM broadcast_accounts")[0].next_nonce;
    const result = await world.ok(["distribute-multiple", `--csv-input=${csv}`, `--address=${tokenAddress}`, "--batch-size=2"]);
    const transactions = Math.ceil(ROWS / 2);
    expect(result.stdout).toContain(`Distribution created ${transactions} new transactions`);
    expect(result.stdout).toContain(`... and ${transactions - 100} more, up to nonce ${nonceBefore + transactions - 1}`);
    expect(result.stdout).toContain("Distributing 3 shares to 2 receivers (external_id batch-0 … batch-1)");

    const payments = paymentsWithTransactions("batch-");
    expect(payments.map((payment) => [payment.external_id, payment.nonce, payment.function_signature])).toEqual(
      receivers.map((_, index) => [`batch-${index}`, nonceBefore + Math.floor(index / 2), "batchTransfer(address[],uint256[])"]),
    );
    const lastNote = world.query<{ note: string }>("SELECT note FROM prepared_transactions WHERE nonce = ?", nonceBefore + transactions - 1)[0].note;
    expect(lastNote).toBe(`Distributing ${ROWS} shares to Holder ${ROWS - 1}`);
  });

  it("writes nothing when a late piece fails, and the account's next nonce stays", async () => {
    const db = openDatabase(world.databaseFile);
    const provider = new JsonRpcProvider(world.chain.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    try {
      const env: TxEnvironment = {
        db,
        provider,
        network: "local",
        chainId: 31337,
        address: new Wallet(DEVELOPMENT_PRIVATE_KEY).address,
        artifacts: new ContractArtifacts(),
        autoRestartNonce: true,
      };
      const count = () => world.query<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions")[0].n;
      const nextNonce = () => world.query<{ next_nonce: number }>("SELECT next_nonce FROM broadcast_accounts")[0].next_nonce;
      const [before, nonceBefore] = [count(), nextNonce()];
      const plan = (failAt: "plan" | "afterChunk") => ({
        count: ROWS,
        plan: (builder: TransactionBuilder, from: number, to: number) => {
          if (failAt === "plan" && from >= 2 * STREAM_CHUNK) throw new Error("planning failed in the third piece");
          for (let index = from; index < to; index++) {
            builder.call("SecurityToken", tokenAddress, "transfer", [randomAddresses(1)[0], 1n], `transfer ${index}`, { gasLimit: 100_000n });
          }
        },
        afterChunk: (_rows: readonly unknown[], from: number) => {
          if (failAt === "afterChunk" && from >= 2 * STREAM_CHUNK) throw new Error("related rows failed in the third piece");
        },
      });
      await expect(prepareTransactionStream(env, plan("plan"), 30_000_000n)).rejects.toThrow("planning failed in the third piece");
      await expect(prepareTransactionStream(env, plan("afterChunk"), 30_000_000n)).rejects.toThrow("related rows failed in the third piece");
      expect([count(), nextNonce()]).toEqual([before, nonceBefore]);

      // A gas limit above the block's is refused in any piece, before anything is committed.
      const tooMuch = {
        count: ROWS,
        plan: (builder: TransactionBuilder, from: number, to: number) => {
          for (let index = from; index < to; index++) {
            builder.call("SecurityToken", tokenAddress, "transfer", [randomAddresses(1)[0], 1n], `transfer ${index}`, { gasLimit: index === ROWS - 1 ? 40_000_000n : 100_000n });
          }
        },
      };
      await expect(prepareTransactionStream(env, tooMuch, 30_000_000n)).rejects.toThrow(`transfer ${ROWS - 1}: gas limit 40000000 is above the block gas limit`);
      expect([count(), nextNonce()]).toEqual([before, nonceBefore]);
    } finally {
      provider.destroy();
      db.close();
    }
  });
});
