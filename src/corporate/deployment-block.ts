import type { StoDatabase } from "../db/database";
import { scannedCreationBlock } from "../scan/store";
import { ledgerOf } from "../tx/ledger";

/**
 * The block a contract was deployed in: from the audit database when we deployed it, or from
 * token-scan's record of the token's creation block; else 0 (reading from genesis is slower but
 * complete).
 */
export async function deploymentBlock(db: StoDatabase, network: string, address: string): Promise<number> {
  const deployed = (await ledgerOf(db).deploymentsAt(network, address)).filter((row) => row.status === "success").at(-1);
  if (deployed?.blockNumber !== undefined && deployed.blockNumber !== null) return deployed.blockNumber;
  return (await scannedCreationBlock(db, network, address)) ?? 0;
}
