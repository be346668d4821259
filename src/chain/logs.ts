import { ExitCode, StoError } from "../errors";
import { AdaptiveBlockRange, type BlockRangeOptions } from "./block-ranges";
import { isTooLarge, readRefusal } from "./failures";
import { NodeUnavailableError, oneLine, RpcError, toBlockTag, type NodeClient } from "./rpc";

/** A log as eth_getLogs returns it (hex strings). */
export interface RawLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  transactionHash: string;
  logIndex: string;
  removed?: boolean;
  /** Newer nodes (geth 1.14+, reth, Erigon 3) include the block time, sparing a header request. */
  blockTimestamp?: string;
}

export interface LogFilter {
  address: string;
  topics: (string | null)[];
}

/** The logs of blocks `from`-`to`: the range a request actually covered. */
export interface LogRange {
  from: number;
  to: number;
  logs: RawLog[];
}

/**
 * The one eth_getLogs: the logs from block `from` on, over the range `range` allows (or `plannedTo`
 * when the caller planned it), never past `end`. Nodes and providers cap the range or the size of
 * an answer, each with its own words (src/chain/failures.ts): while the node answers "too large",
 * the range shrinks — to the range the node suggested, else to half — and `range` learns a range
 * limit for the requests after this one. Nothing else shrinks it: a node that is down or keeps
 * failing is the transport's NodeUnavailableError (exit 3), after its retries.
 */
export async function fetchLogRange(
  node: NodeClient,
  filter: LogFilter,
  range: AdaptiveBlockRange,
  from: number,
  end: number,
  plannedTo?: number,
): Promise<LogRange> {
  let planned = plannedTo;
  for (;;) {
    const to = planned ?? range.next(from, end).to;
    planned = undefined;
    let logs: unknown;
    try {
      logs = await node.call<unknown>("eth_getLogs", [{ address: filter.address, topics: filter.topics, fromBlock: toBlockTag(from), toBlock: toBlockTag(to) }]);
    } catch (error) {
      if (!(error instanceof RpcError)) throw error;
      const refusal = `${oneLine(error.rpcMessage).slice(0, 160)}${error.code === undefined ? "" : ` (code ${error.code})`}`;
      if (!isTooLarge(error)) {
        throw new StoError(`the Ethereum node refused eth_getLogs of blocks ${from}-${to}: ${refusal}`, ExitCode.Network);
      }
      if (!range.refused(to - from + 1, readRefusal(error))) {
        throw new StoError(`the node refuses the events of block ${from} even alone (${refusal}): use a node without this limit`, ExitCode.Network);
      }
      continue;
    }
    if (!Array.isArray(logs)) {
      throw new NodeUnavailableError(`the Ethereum node answered eth_getLogs of blocks ${from}-${to} with something that is not a list of logs`);
    }
    return { from, to, logs: logs as RawLog[] };
  }
}

/** Every log matching `filter` in blocks `from`-`to`, in chain order, read in ranges the node accepts. */
export async function getLogs(node: NodeClient, filter: LogFilter, from: number, to: number, options: BlockRangeOptions = {}): Promise<RawLog[]> {
  const range = new AdaptiveBlockRange({ initial: 10_000, ...options });
  const logs: RawLog[] = [];
  let start = from;
  while (start <= to) {
    const fetched = await fetchLogRange(node, filter, range, start, to);
    for (const log of fetched.logs) if (!log.removed) logs.push(log);
    range.succeeded(fetched.to - fetched.from + 1, fetched.logs.length);
    start = fetched.to + 1;
  }
  return logs;
}

