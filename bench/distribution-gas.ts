/**
 * Gas per receiver of a distribution, one transfer per row versus batchTransfer, measured on the
 * local chain through sto's own pipeline (prepare, broadcast, receipts): what docs/distribution.md
 * reports, and what the gas model of src/distribution/gas.ts must cover.
 *
 *   npx tsx bench/distribution-gas.ts
 *
 * Receivers are fresh addresses (the costly case: a new balance slot each). Runs for an
 * unrestricted and a restricted token, before and after a checkpoint was taken.
 */
import { prepareDistribution, type DistributionInputRow } from "../src/distribution";
import { prepareWhitelist } from "../src/token/kyc";
import { prepareTransactions } from "../src/tx/prepare";
import { benchWorld, randomAddresses, type BenchWorld } from "./world";

const SINGLE_ROWS = 20;
const BATCH_SIZES = [10, 100, 250];

interface Measured {
  receivers: number;
  gasUsed: bigint;
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
  const result = await prepareDistribution(world.env, { tokenAddress: world.token, tokenOption: "--address", rows, origin: { kind: "csv", file: label }, batchSize });
  await world.settle();
  const ids = result.prepared.map((tx) => tx.id);
  const outcomes = world.env.db.sqlite
    .prepare(`SELECT status, gas_used, gas_limit FROM prepared_transactions WHERE id IN (${ids.map(() => "?").join(",")})`)
    .all(...ids) as { status: string; gas_used: string; gas_limit: string }[];
  for (const outcome of outcomes) if (outcome.status !== "success") throw new Error(`${label}: a transaction ${outcome.status}`);
  return {
    receivers: receivers.length,
    gasUsed: outcomes.reduce((sum, outcome) => sum + BigInt(outcome.gas_used), 0n),
    gasLimit: outcomes.reduce((max, outcome) => (BigInt(outcome.gas_limit) > max ? BigInt(outcome.gas_limit) : max), 0n),
  };
}

async function measure(restricted: boolean, checkpoint: boolean): Promise<string[]> {
  const world = await benchWorld({ restricted });
  try {
    if (checkpoint) {
      await prepareTransactions(world.env, (builder) => builder.call("SecurityToken", world.token, "checkpoint", [], "Checkpoint for the benchmark"));
      await world.settle();
    }
    const lines: string[] = [];
    const mode = `${restricted ? "restricted" : "unrestricted"}${checkpoint ? ", after a checkpoint" : ""}`;
    const report = (what: string, measured: Measured, transactions: number) => {
      const perReceiver = Number(measured.gasUsed) / measured.receivers;
      lines.push(
        `| ${mode} | ${what} | ${measured.receivers} | ${transactions} | ${Math.round(perReceiver).toLocaleString("en-US")} | ${measured.gasLimit.toLocaleString("en-US")} |`,
      );
    };
    const single = await distribute(world, randomAddresses(SINGLE_ROWS), "single");
    report("transfer per row", single, SINGLE_ROWS);
    for (const size of BATCH_SIZES) {
      const batch = await distribute(world, randomAddresses(size), `batch${size}`, size);
      report(`batchTransfer of ${size}`, batch, 1);
    }
    return lines;
  } finally {
    await world.close();
  }
}

async function main(): Promise<void> {
  console.log("| Token | Mode | Receivers | Transactions | Gas per receiver | Gas limit prepared (largest tx) |");
  console.log("|---|---|---:|---:|---:|---:|");
  for (const restricted of [false, true]) {
    for (const checkpoint of [false, true]) {
      for (const line of await measure(restricted, checkpoint)) console.log(line);
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
