import { TRANSFER_TOPIC } from "../chain/erc20";
import type { RawLog } from "../chain/logs";

export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

export interface TransferEvent {
  blockNumber: number;
  blockHash: string;
  logIndex: number;
  txHash: string;
  /** Lowercase hex; the zero address for a mint. */
  from: string;
  /** Lowercase hex; the zero address for a burn. */
  to: string;
  value: bigint;
  /** Unix seconds when the node told us. */
  blockTimestamp?: number;
}

export interface DecodeResult {
  events: TransferEvent[];
  /** Logs with the Transfer topic that are not ERC-20 transfers (e.g. malformed data). */
  skipped: number;
  /** Logs shaped like ERC-721 transfers (token id indexed): the contract is not an ERC-20. */
  nonFungible: number;
}

/**
 * Decodes ERC-20 Transfer logs by slicing their hex: the hot path of a scan, so no ABI lookups and no
 * address checksumming (addresses stay lowercase). Accepts the standard layout (from and to indexed,
 * value in data) and the one of early tokens that indexed nothing (from, to, value all in data).
 */
export function decodeTransferLogs(logs: RawLog[], address?: string): DecodeResult {
  const events: TransferEvent[] = [];
  let skipped = 0;
  let nonFungible = 0;
  // A node that ignored the address filter must not mix another token's transfers in.
  const contract = address?.toLowerCase();
  for (const log of logs) {
    if (log.removed || (contract !== undefined && log.address.toLowerCase() !== contract)) continue;
    const topics = log.topics;
    if (topics.length === 0 || topics[0].toLowerCase() !== TRANSFER_TOPIC) {
      skipped++;
      continue;
    }
    const data = log.data;
    let from: string;
    let to: string;
    let value: bigint;
    if (topics.length === 3 && data.length === 66) {
      from = `0x${topics[1].slice(26)}`.toLowerCase();
      to = `0x${topics[2].slice(26)}`.toLowerCase();
      value = BigInt(data);
    } else if (topics.length === 1 && data.length === 2 + 3 * 64) {
      from = `0x${data.slice(26, 66)}`.toLowerCase();
      to = `0x${data.slice(90, 130)}`.toLowerCase();
      value = BigInt(`0x${data.slice(130)}`);
    } else {
      if (topics.length === 4) nonFungible++;
      else skipped++;
      continue;
    }
    events.push({
      blockNumber: parseInt(log.blockNumber, 16),
      blockHash: log.blockHash.toLowerCase(),
      logIndex: parseInt(log.logIndex, 16),
      txHash: log.transactionHash.toLowerCase(),
      from,
      to,
      value,
      blockTimestamp: log.blockTimestamp ? parseInt(log.blockTimestamp, 16) : undefined,
    });
  }
  // Nodes return logs in chain order; a node that does not would corrupt running balances.
  for (let index = 1; index < events.length; index++) {
    const previous = events[index - 1];
    const current = events[index];
    if (
      current.blockNumber < previous.blockNumber ||
      (current.blockNumber === previous.blockNumber && current.logIndex <= previous.logIndex)
    ) {
      events.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
      const unique = events.filter(
        (event, position) =>
          position === 0 ||
          event.blockNumber !== events[position - 1].blockNumber ||
          event.logIndex !== events[position - 1].logIndex,
      );
      return { events: unique, skipped, nonFungible };
    }
  }
  return { events, skipped, nonFungible };
}
