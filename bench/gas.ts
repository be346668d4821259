/**
 * Gas figures for docs/gas.md. Run from the repository root:
 *
 *   npx hardhat compile && npx tsx bench/gas.ts
 *
 * Deploys a plain OpenZeppelin 5 ERC-20 (contracts/test/PlainERC20.sol) and SecurityTokens with the
 * UnrestrictedTransferAgent (and the RestrictedTransferAgent with everyone whitelisted) on the
 * in-process Hardhat chain (cancun, solc 0.8.28, optimizer 200 runs) and prints markdown tables.
 * Figures are receipt `gasUsed`: they include the 21,000 base cost and calldata. Batch figures per
 * receiver are the whole transaction divided by the number of receivers (base cost included).
 * test/contracts/gas.test.ts runs the same scenarios and fails when a target is missed.
 */
import { startTestChain } from "../src/devtools/test-chain";
import { BATCH, measureGas, measureOperations, overheadPercent } from "./gas-scenarios";

const fmt = (gas?: bigint): string => (gas === undefined ? "" : gas.toLocaleString("en-US"));

async function main(): Promise<void> {
  const chain = await startTestChain();
  try {
    const figures = await measureGas(chain);
    console.log("### transfer()\n");
    console.log("| Scenario | OZ ERC20 | SecurityToken | Overhead |");
    console.log("|---|---:|---:|---:|");
    for (const row of Object.values(figures.transfers)) {
      const overhead = overheadPercent(row);
      console.log(
        `| ${row.scenario} | ${fmt(row.oz)} | ${fmt(row.sto)} | ${overhead === undefined ? "" : `${overhead.toFixed(1)}%`} |`,
      );
    }
    console.log(`\n### batchTransfer() of ${BATCH} receivers\n`);
    console.log("| Scenario | Transaction gas | Per receiver |");
    console.log("|---|---:|---:|");
    for (const row of Object.values(figures.batches)) {
      console.log(`| ${row.scenario} | ${fmt(row.total)} | ${fmt(row.perReceiver)} |`);
    }
    console.log("\n### Other operations\n");
    console.log("| Operation | Gas |");
    console.log("|---|---:|");
    for (const row of await measureOperations(chain)) console.log(`| ${row.operation} | ${fmt(row.gas)} |`);
  } finally {
    await chain.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
