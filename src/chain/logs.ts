import { ExitCode, StoError } from "../errors";
import { AdaptiveBlockRange, type BlockRangeOptions } from "./block-ranges";
import { isTooLarge, readRefusal } from "./failures";
import { FALLBACK, NodeUnavailableError, oneLine, RpcError, toBlockTag, type NodeClient } from "./rpc";

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

/** The logs of blocks `from`-`to` as a `LogReader` made them. */
export interface ReadRange<T> {
  from: number;
  to: number;
  value: T;
}

/**
 * Makes something of the logs of one eth_getLogs answer: `fromBytes` straight from the answer's
 * bytes, FALLBACK when it is not sure (src/chain/json-bytes.ts), `fromLogs` from the parsed list.
 * Both must give the same value for the same answer.
 */
export interface LogReader<T> {
  fromBytes(bytes: Buffer): T | typeof FALLBACK;
  fromLogs(logs: RawLog[]): T;
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
  const read = await readLogRange(node, filter, range, from, end, RAW_LOGS, plannedTo);
  return { from: read.from, to: read.to, logs: read.value };
}

/** The parsed logs themselves (no byte reading: callers of `fetchLogRange` want every field). */
const RAW_LOGS: LogReader<RawLog[]> = { fromBytes: () => FALLBACK, fromLogs: (logs) => logs };

/**
 * `fetchLogRange` with the answer read by `reader`: from its bytes where the node client can hand
 * them over (JsonRpcTransport.callReading), else from the parsed list. The scanner reads its
 * Transfer events this way (src/scan/transfer-log.ts, transferLogReader).
 */
export async function readLogRange<T>(
  node: NodeClient,
  filter: LogFilter,
  range: AdaptiveBlockRange,
  from: number,
  end: number,
  reader: LogReader<T>,
  plannedTo?: number,
): Promise<ReadRange<T>> {
  let planned = plannedTo;
  for (;;) {
    const to = planned ?? range.next(from, end).to;
    planned = undefined;
    const fromResult = (logs: unknown): T => {
      if (!Array.isArray(logs)) {
        throw new NodeUnavailableError(`the Ethereum node answered eth_getLogs of blocks ${from}-${to} with something that is not a list of logs`);
      }
      return reader.fromLogs(logs as RawLog[]);
    };
    const params = [{ address: filter.address, topics: filter.topics, fromBlock: toBlockTag(from), toBlock: toBlockTag(to) }];
    let value: T;
    try {
      value =
        node.callReading !== undefined
          ? await node.callReading("eth_getLogs", params, { fromBytes: (bytes) => reader.fromBytes(bytes), fromResult })
          : fromResult(await node.call<unknown>("eth_getLogs", params));
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
    return { from, to, value };
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

