import type { StoDatabase } from "../db/database";
import { scannedCreationBlock } from "../scan/store";

/**
 * The block a contract was deployed in: from the audit database when we deployed it, or from
 * token-scan's record of the token's creation block; else 0 (reading from genesis is slower but
 * complete).
 */
export function deploymentBlock(db: StoDatabase, network: string, address: string): number {
  const row = db.sqlite
    .prepare(
      "SELECT block_number FROM prepared_transactions WHERE network = ? AND contract_address = ? AND is_deployment = 1 AND status = 'success' ORDER BY id DESC LIMIT 1",
    )
    .get(network, address) as { block_number: number | null } | undefined;
  if (row?.block_number !== undefined && row.block_number !== null) return row.block_number;
  return scannedCreationBlock(db, network, address) ?? 0;
}
