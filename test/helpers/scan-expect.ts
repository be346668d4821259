import { expect } from "vitest";
import type { Contract } from "ethers";
import { LOCAL_CHAIN_ID } from "../../src/chain/local-node";
import { buildCapTable } from "../../src/captable/captable";
import type { SqliteDatabase } from "../../src/db/database";
import { TRANSFER_TOPIC } from "../../src/chain/erc20";
import type { ScanChain } from "./scan-fixtures";

/** The database holds exactly the chain's Transfer events, and the cap table matches balanceOf at every block given. */
export async function expectDatabaseIsTheChain(chain: ScanChain, db: SqliteDatabase, token: Contract, holders: string[], blocks: number[]): Promise<void> {
  const tokenAddress = await token.getAddress();
  const { scannedTo } = db.sqlite.prepare("SELECT scanned_to_block AS scannedTo FROM scanned_tokens").get() as { scannedTo: number };
  const logs = await chain.rpc<{ blockNumber: string; logIndex: string }[]>("eth_getLogs", [
    { address: tokenAddress, topics: [TRANSFER_TOPIC], fromBlock: "0x0", toBlock: `0x${scannedTo.toString(16)}` },
  ]);
  const stored = db.sqlite
    .prepare("SELECT block_number AS block, log_index AS logIndex FROM token_transfers ORDER BY block_number, log_index")
    .all() as { block: number; logIndex: number }[];
  expect(stored).toEqual(logs.map((log) => ({ block: Number(log.blockNumber), logIndex: Number(log.logIndex) })));
  // No holder is left over from the replaced blocks.
  const orphans = db.sqlite
    .prepare("SELECT COUNT(*) AS n FROM token_holders h WHERE NOT EXISTS (SELECT 1 FROM balance_changes c WHERE c.holder_id = h.id)")
    .get() as { n: number };
  expect(orphans.n).toBe(0);
  for (const block of blocks) {
    const table = await buildCapTable(db, { chainId: LOCAL_CHAIN_ID, tokenAddress, atBlock: block, includeEmpty: true });
    const scanned = new Map(table.entries.map((entry) => [entry.address.toLowerCase(), entry.balance]));
    for (const holder of holders) {
      expect(scanned.get(holder) ?? 0n, `balance of ${holder} at block ${block}`).toBe(
        (await token.balanceOf(holder, { blockTag: block })) as bigint,
      );
    }
    expect(table.accountedSupply).toBe((await token.totalSupply({ blockTag: block })) as bigint);
  }
}

