import { getAddress, ZeroAddress, dataSlice } from "ethers";
import { addressesChangedInBlock, balancesAtBlock } from "../captable/queries";
import { nodeClient } from "../chain/provider";
import { TRANSFER_TOPIC } from "../chain/erc20";
import { getLogs } from "../chain/logs";
import { findScannedTokenIn } from "../scan/store";
import type { ReadEnvironment } from "../token/onchain";
import { deploymentBlock } from "./deployment-block";

export interface HolderCandidates {
  /** Checksummed, sorted, each once: every address that received the token up to the block. */
  addresses: string[];
  /** Where the list came from, for the output. */
  source: string;
}

/**
 * Every address that could hold the token at some point of `block` (e.g. at a checkpoint taken in
 * it). A superset of the holders; callers read the exact balance at the checkpoint on chain, so the
 * list only has to be complete, not exact.
 *
 * From the cap table that token-scan keeps (the holders with a balance at the end of the block
 * before, plus every address whose balance changed in the block) when the scan covers the token
 * from its creation to the block; otherwise from the token's Transfer events read on chain
 * (receivers up to the block), starting at the block we deployed it in when the database knows it.
 */
export async function holderCandidates(env: ReadEnvironment, tokenAddress: string, block: number): Promise<HolderCandidates> {
  const from = await deploymentBlock(env.db, env.network, tokenAddress);
  const scanned = await findScannedTokenIn(env.db.sql, env.chainId, tokenAddress);
  if (scanned && scanned.scannedToBlock >= block && (scanned.startsAtCreation || scanned.startBlock <= from)) {
    const addresses = new Set<string>();
    if (block > 0) {
      const before = await balancesAtBlock(env.db.sql, scanned.id, block - 1, false);
      for (let row = 0; row < before.length; row++) addresses.add(getAddress(before.address(row)));
    }
    for (const address of await addressesChangedInBlock(env.db.sql, scanned.id, block)) addresses.add(getAddress(address));
    addresses.delete(ZeroAddress);
    return {
      addresses: [...addresses].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())),
      source: `the cap table scanned by token-scan, at block ${block}`,
    };
  }
  const logs = await getLogs(nodeClient(env.provider), { address: tokenAddress, topics: [TRANSFER_TOPIC] }, from, block);
  const receivers = new Set<string>();
  for (const log of logs) {
    // Transfer(address indexed from, address indexed to, uint256 value): `to` is the third topic.
    if (log.topics.length < 3) continue;
    const to = getAddress(dataSlice(log.topics[2], 12));
    if (to !== ZeroAddress) receivers.add(to);
  }
  return {
    addresses: [...receivers].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())),
    source: `${logs.length} Transfer events of blocks ${from}-${block}`,
  };
}
