import { Interface } from "ethers";
import { hasCode } from "./erc20";
import { BatchUnsupportedError, RpcError, toBlockTag, type NodeClient, type RpcRequest } from "./rpc";

/** Multicall3's address: the same on every chain where it is deployed (https://www.multicall3.com). */
export const MULTICALL3_ADDRESS = "0xcA11bde05977b3631167028862bE2a173976CA11";

const MULTICALL = new Interface([
  "function aggregate3((address target, bool allowFailure, bytes callData)[] calls) payable returns ((bool success, bytes returnData)[] returnData)",
]);

/** eth_call requests per JSON-RPC batch: providers cap batches at 100 (Infura) to 1,000 (Alchemy). */
const REQUESTS_PER_BATCH = 100;
/** Requests (batches or multicalls) in flight at once: the transport keeps four sockets. */
const PARALLEL = 4;

export type ReadMethod = "multicall3" | "batch" | "single";

/** A view call: `data` sent to `to`. */
export interface ContractCall {
  to: string;
  data: string;
}

export interface CallReaderOptions {
  /** Requests in flight at once. */
  parallel?: number;
  /**
   * Calls per Multicall3 eth_call. Their gas adds up inside one eth_call, which nodes cap (geth
   * 50M): about 3,000 gas a balanceOf allows 1,000, a call that reads another contract fewer.
   */
  callsPerMulticall?: number;
}

/**
 * Many reads at one block through the one transport, never one round trip per read: view calls
 * through Multicall3 where the chain has code at its address (hundreds per eth_call), otherwise in
 * JSON-RPC batches, and one at a time (a few in parallel) when the node refuses batches. Other
 * requests (eth_getCode) go the batch way. The way to read is found once per reader. A node failure
 * goes through (exit 3); a call the contract refuses is null.
 */
export class CallReader {
  /** How the last read went; "batch" until something else was needed. */
  method: ReadMethod = "batch";
  requests = 0;
  #multicall: Promise<boolean> | undefined;
  #batches = true;
  readonly #parallel: number;
  readonly #callsPerMulticall: number;

  constructor(
    private readonly node: NodeClient,
    private readonly block: number,
    options: CallReaderOptions = {},
  ) {
    this.#parallel = options.parallel ?? PARALLEL;
    this.#callsPerMulticall = options.callsPerMulticall ?? 1_000;
  }

  /** The return data of each call in order; null where it reverted. */
  async calls(calls: readonly ContractCall[]): Promise<(string | null)[]> {
    if (calls.length === 0) return [];
    this.#multicall ??= hasCode(this.node, MULTICALL3_ADDRESS, this.block);
    if (await this.#multicall) {
      const slices = chunks(calls, this.#callsPerMulticall);
      const read = await inParallel(slices, this.#parallel, async (slice) => {
        this.requests++;
        return multicall(this.node, slice, this.block);
      });
      if (read.every((answers) => answers !== undefined)) {
        this.method = "multicall3";
        return read.flat() as (string | null)[];
      }
      // The node refused the aggregate call (a gas cap, a contract that is not Multicall3): ask in batches from now on.
      this.#multicall = Promise.resolve(false);
    }
    const answers = await this.send<string>(calls.map((call) => ({ method: "eth_call", params: [call, toBlockTag(this.block)] })));
    return answers.map((answer) => (typeof answer === "string" ? answer : null));
  }

  /**
   * Any requests in JSON-RPC batches (one at a time when the node refuses batches): each result or
   * the node's error answer, in request order.
   */
  async send<T>(requests: readonly RpcRequest[]): Promise<(T | RpcError)[]> {
    if (requests.length === 0) return [];
    if (this.#batches) {
      try {
        const slices = chunks(requests, REQUESTS_PER_BATCH);
        const read = await inParallel(slices, this.#parallel, async (slice) => {
          this.requests++;
          return this.node.batch<T>(slice);
        });
        this.method = "batch";
        return read.flat();
      } catch (error) {
        if (!(error instanceof BatchUnsupportedError)) throw error;
        this.#batches = false;
      }
    }
    const answers = await inParallel(requests, this.#parallel * 2, async (request): Promise<T | RpcError> => {
      this.requests++;
      try {
        return await this.node.call<T>(request.method, request.params);
      } catch (error) {
        if (!(error instanceof RpcError)) throw error;
        return error;
      }
    });
    this.method = "single";
    return answers;
  }
}

/** One aggregate3 eth_call; undefined when the node refuses it as a whole. */
async function multicall(node: NodeClient, calls: readonly ContractCall[], block: number): Promise<(string | null)[] | undefined> {
  const data = MULTICALL.encodeFunctionData("aggregate3", [calls.map((call) => [call.to, true, call.data])]);
  let answer: string;
  try {
    answer = await node.call<string>("eth_call", [{ to: MULTICALL3_ADDRESS, data }, toBlockTag(block)]);
  } catch (error) {
    if (error instanceof RpcError) return undefined;
    throw error;
  }
  try {
    const [results] = MULTICALL.decodeFunctionResult("aggregate3", answer) as unknown as [[boolean, string][]];
    if (results.length !== calls.length) return undefined;
    return results.map(([success, returned]) => (success ? returned : null));
  } catch {
    return undefined;
  }
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let offset = 0; offset < items.length; offset += size) result.push(items.slice(offset, offset + size));
  return result;
}

/** Runs `work` over the items with at most `parallel` at a time; results in item order. */
export async function inParallel<T, R>(items: readonly T[], parallel: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
  return results;
}
