/**
 * Throughput of preparing a large distribution: reading and validating the CSV, the idempotency
 * lookups, the balance and restriction checks, gas limits, encoding and the database writes — what
 * `sto distribute-multiple` does before it prints (startup of the process not included).
 *
 *   npx tsx bench/distribution-prepare.ts [--rows 10000] [--batch-size 200] [--restricted]
 *
 * Prints rows per second for one transfer per row, for batchTransfer, and for re-running the same
 * file (every row already prepared). Results are recorded in docs/distribution.md.
 */
import { parseArgs } from "node:util";
import { prepareDistribution, readDistributionCsv } from "../src/distribution";
import { prepareWhitelist } from "../src/token/kyc";
import { benchWorld, randomAddresses, writeCsv } from "./world";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rows: { type: "string", default: "10000" }, "batch-size": { type: "string", default: "200" }, restricted: { type: "boolean", default: false } },
  });
  const rows = Number(values.rows);
  const batchSize = Number(values["batch-size"]);
  const world = await benchWorld({ restricted: values.restricted ?? false });
  try {
    const receivers = randomAddresses(rows);
    if (world.kyc) {
      for (let start = 0; start < receivers.length; start += 500) await prepareWhitelist(world.env, world.kyc, receivers.slice(start, start + 500));
      await world.settle();
    }
    const run = async (label: string, file: string, batch?: number) => {
      const started = performance.now();
      const input = readDistributionCsv(file);
      const result = await prepareDistribution(world.env, {
        tokenAddress: world.token,
        rows: input,
        origin: { kind: "csv", file },
        batchSize: batch,
      });
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `${label.padEnd(34)} ${String(rows).padStart(6)} rows in ${seconds.toFixed(3)} s = ${Math.round(rows / seconds).toString().padStart(6)} rows/s` +
          ` (${result.transactions.count} new transactions, ${result.alreadyPreparedRows} rows already prepared)`,
      );
    };
    const mode = world.kyc ? "restricted" : "unrestricted";
    const single = writeCsv(world.dir, "single.csv", receivers, "single-");
    await run(`${mode}, one transfer per row`, single);
    await run(`${mode}, re-run (all prepared)`, single);
    const batched = writeCsv(world.dir, "batch.csv", receivers, "batch-");
    await run(`${mode}, --batch-size ${batchSize}`, batched, batchSize);
  } finally {
    await world.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
