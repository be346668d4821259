/**
 * Gas per receiver of a distribution, one transfer per row versus batchTransfer, measured on the
 * local chain through sto's own pipeline (prepare, broadcast, receipts): what docs/distribution.md
 * reports, and what the gas model of src/distribution/gas.ts must cover.
 *
 *   npx tsx bench/distribution-gas.ts
 *
 * Receivers are new holders (a new balance slot each), existing holders, and existing holders
 * right after a checkpoint (each records its balance history); unrestricted and restricted token.
 */
import { sqliteOnly } from "../src/db/database";
import { prepareDistribution, type DistributionInputRow } from "../src/distribution";
import { prepareWhitelist } from "../src/token/kyc";
import { prepareTransactions } from "../src/tx/prepare";
import { ledgerOf } from "../src/tx/ledger";
import { benchWorld, randomAddresses, type BenchWorld } from "./world";

const SINGLE_ROWS = 20;
const BATCH_SIZES = [10, 100, 250];

interface Measured {
  receivers: number;
  gasUsed: bigint;
  /** Of the most expensive transaction. */
  maxGasUsed: bigint;
  gasLimit: bigint;
}

async function distribute(world: BenchWorld, receivers: string[], label: string, batchSize?: number): Promise<Measured> {
  if (world.kyc) {
    for (let start = 0; start < receivers.length; start += 300) await prepareWhitelist(world.env, world.kyc, receivers.slice(start, start + 300));
    await world.settle();
  }
  const rows: DistributionInputRow[] = receivers.map((address, index) => ({
    row: index + 2,
    externalId: `${label}-${index}`,
    email: "",
    name: "",
    address,
    amount: "1.5",
  }));
  const result = await prepareDistribution(world.env, { tokenAddress: world.token, rows, origin: { kind: "csv", file: label }, batchSize });
  await world.settle();
  const ids = (await ledgerOf(world.env.db).transactionsInRange(result.transactions)).map((tx) => tx.id);
  const outcomes = sqliteOnly(world.env.db, "the bench").sqlite
    .prepare(`SELECT status, gas_used, gas_limit FROM prepared_transactions WHERE id IN (${ids.map(() => "?").join(",")})`)
    .all(...ids) as { status: string; gas_used: string; gas_limit: string }[];
  for (const outcome of outcomes) if (outcome.status !== "success") throw new Error(`${label}: a transaction ${outcome.status}`);
  return {
    receivers: receivers.length,
    gasUsed: outcomes.reduce((sum, outcome) => sum + BigInt(outcome.gas_used), 0n),
    maxGasUsed: outcomes.reduce((max, outcome) => (BigInt(outcome.gas_used) > max ? BigInt(outcome.gas_used) : max), 0n),
    gasLimit: outcomes.reduce((max, outcome) => (BigInt(outcome.gas_limit) > max ? BigInt(outcome.gas_limit) : max), 0n),
  };
}

async function measure(restricted: boolean): Promise<string[]> {
  const world = await benchWorld({ restricted });
  try {
    const lines: string[] = [];
    const token = restricted ? "restricted" : "unrestricted";
    const report = (receivers: string, what: string, measured: Measured, transactions: number) => {
      const perReceiver = Number(measured.gasUsed) / measured.receivers;
      lines.push(
        `| ${token} | ${receivers} | ${what} | ${measured.receivers} | ${transactions} | ${Math.round(perReceiver).toLocaleString("en-US")} | ${measured.maxGasUsed.toLocaleString("en-US")} | ${measured.gasLimit.toLocaleString("en-US")} |`,
      );
    };
    let round = 0;
    const pay = (receivers: string[], batchSize?: number) => distribute(world, receivers, `round${round++}`, batchSize);

    const singles = randomAddresses(SINGLE_ROWS);
    report("new holders", "transfer per row", await pay(singles), SINGLE_ROWS);
    let largest: string[] = [];
    for (const size of BATCH_SIZES) {
      largest = randomAddresses(size);
      report("new holders", `batchTransfer of ${size}`, await pay(largest, size), 1);
    }
    report("existing holders", "transfer per row", await pay(singles), SINGLE_ROWS);
    report("existing holders", `batchTransfer of ${largest.length}`, await pay(largest, largest.length), 1);

    // After a checkpoint, the first change of a balance that existed at the checkpoint records it.
    await prepareTransactions(world.env, (builder) => builder.call("SecurityToken", world.token, "checkpoint", [], "Checkpoint for the benchmark"));
    await world.settle();
    report("existing holders, right after a checkpoint", "transfer per row", await pay(singles), SINGLE_ROWS);
    await prepareTransactions(world.env, (builder) => builder.call("SecurityToken", world.token, "checkpoint", [], "Checkpoint for the benchmark"));
    await world.settle();
    report("existing holders, right after a checkpoint", `batchTransfer of ${largest.length}`, await pay(largest, largest.length), 1);
    report("new holders, checkpoints exist", `batchTransfer of ${largest.length}`, await pay(randomAddresses(largest.length), largest.length), 1);
    return lines;
  } finally {
    await world.close();
  }
}

async function main(): Promise<void> {
  console.log("| Token | Receivers | Mode | Receivers | Transactions | Gas per receiver | Gas used, largest transaction | Gas limit prepared, largest transaction |");
  console.log("|---|---|---|---:|---:|---:|---:|---:|");
  for (const restricted of [false, true]) {
    for (const line of await measure(restricted)) console.log(line);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
