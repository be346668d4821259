/**
 * Workload 5: gas of batch distribution and the checkpointing overhead of a transfer, from the
 * scenarios of bench/gas-scenarios.ts (also behind docs/gas.md and test/contracts/gas.test.ts) on an
 * in-process chain: receipts' gasUsed do not depend on the machine.
 */
import { startTestChain } from "../../src/devtools/test-chain";
import { BATCH, measureGas, overheadPercent, type TransferRow } from "../gas-scenarios";
import type { Figures } from "../lib/figures";

export async function gasFigures(figures: Figures): Promise<void> {
  const chain = await startTestChain();
  try {
    const gas = await measureGas(chain);
    figures.add({
      id: "gas.batch-new-holder",
      label: `gas: batchTransfer of ${BATCH}, per new holder`,
      value: Number(gas.batches.newHolders.perReceiver),
      unit: "gas",
      target: { op: "<=", bound: 26_000 },
      sizeIndependent: true,
      note: `${Number(gas.batches.newHoldersWithCheckpoints.perReceiver).toLocaleString("en-US")} when checkpoints exist`,
    });
    figures.add({
      id: "gas.batch-existing-holder",
      label: `gas: batchTransfer of ${BATCH}, per existing holder`,
      value: Number(gas.batches.existingHolders.perReceiver),
      unit: "gas",
      target: { op: "<=", bound: 9_000 },
      sizeIndependent: true,
      note: `${Number(gas.batches.existingHoldersWithCheckpoints.perReceiver).toLocaleString("en-US")} when checkpoints exist, none since they changed`,
    });
    const overhead = (id: string, label: string, row: TransferRow) =>
      figures.add({
        id,
        label: `gas: transfer() overhead over an OpenZeppelin ERC20, ${label}`,
        value: overheadPercent(row) ?? NaN,
        unit: "%",
        digits: 1,
        target: { op: "<=", bound: 10 },
        sizeIndependent: true,
        note: `${Number(row.sto).toLocaleString("en-US")} against ${Number(row.oz).toLocaleString("en-US")} gas`,
      });
    overhead("gas.transfer-overhead-new", "to a new holder, no checkpoint taken", gas.transfers.newHolder);
    overhead("gas.transfer-overhead-existing", "to an existing holder, no checkpoint taken", gas.transfers.existingHolder);
    overhead("gas.transfer-overhead-new-checkpoints", "to a new holder, checkpoints exist but none since the sender changed", gas.transfers.newHolderWithCheckpoints);
    overhead(
      "gas.transfer-overhead-existing-checkpoints",
      "to an existing holder, checkpoints exist but none since either side changed",
      gas.transfers.existingHolderWithCheckpoints,
    );
  } finally {
    await chain.close();
  }
}
