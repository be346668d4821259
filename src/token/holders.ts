import { getAddress, id as eventTopic, ZeroAddress, dataSlice } from "ethers";
import type { ReadEnvironment } from "./onchain";
import { deploymentBlock, getLogsChunked } from "./logs";

const TRANSFER_TOPIC = eventTopic("Transfer(address,address,uint256)");

export interface HolderCandidates {
  /** Checksummed, sorted, each once: every address that received the token up to the block. */
  addresses: string[];
  /** Where the list came from, for the output. */
  source: string;
}

/**
 * Every address that could hold the token at the end of `block`: the receivers of all its Transfer
 * events up to that block. A superset of the holders (some may have sold out); callers read the
 * exact balance at the checkpoint on chain, so the list only has to be complete, not exact.
 *
 * Read from the token's Transfer events on chain, starting at the block we deployed it in when the
 * audit database knows it.
 */
export async function holderCandidates(env: ReadEnvironment, tokenAddress: string, block: number): Promise<HolderCandidates> {
  const from = deploymentBlock(env.db, env.network, tokenAddress);
  const logs = await getLogsChunked(env.provider, { address: tokenAddress, topics: [TRANSFER_TOPIC] }, from, block);
  const receivers = new Set<string>();
  for (const log of logs) {
    // Transfer(address indexed from, address indexed to, uint256 value): `to` is the third topic.
    if (log.topics.length < 3) continue;
    const to = getAddress(dataSlice(log.topics[2], 12));
    if (to !== ZeroAddress) receivers.add(to);
  }
  return {
    addresses: [...receivers].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())),
    source: `Transfer events of blocks ${from}-${block} (${logs.length} events)`,
  };
}
