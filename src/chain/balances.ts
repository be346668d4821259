import { Interface } from "ethers";
import { chunks, inParallel } from "./batched";
import { hasCode } from "./erc20";
import { BatchUnsupportedError, RpcError, toBlockTag, type NodeClient } from "./rpc";

/** Multicall3's address: the same on every chain where it is deployed (https://www.multicall3.com). */
export const MULTICALL3_ADDRESS = "0xcA11bde05977b3631167028862bE2a173976CA11";

const BALANCE_OF = "0x70a08231";
const MULTICALL = new Interface([
  "function aggregate3((address target, bool allowFailure, bytes callData)[] calls) payable returns ((bool success, bytes returnData)[] returnData)",
]);

/** balanceOf calls per Multicall3 eth_call: about 3,000 gas each, far below any node's eth_call gas cap. */
const CALLS_PER_MULTICALL = 1_000;
/** eth_call requests per JSON-RPC batch: providers cap batches at 100 (Infura) to 1,000 (Alchemy). */
const CALLS_PER_BATCH = 100;
/** Requests (batches or multicalls) in flight at once: the transport keeps four sockets. */
const PARALLEL = 4;

export type BalanceMethod = "multicall3" | "batch" | "single";

export interface BalanceReading {
  /** Lowercase address → balanceOf at the block; null where the call failed (reverted, no state). */
  balances: Map<string, bigint | null>;
  /** How they were read: one eth_call per 1,000 holders through Multicall3, JSON-RPC batches, or one call each. */
  method: BalanceMethod;
  requests: number;
}

/**
 * Reads balanceOf(address) of many holders at one block through the one transport: through
 * Multicall3 where the chain has code at its address (one eth_call per 1,000 holders), otherwise
 * in JSON-RPC batches of eth_call, and one call at a time (a few in parallel) when the node refuses
 * batches. A node failure goes through (exit 3); a call the contract refuses is null.
 */
export async function readBalances(node: NodeClient, token: string, addresses: string[], block: number): Promise<BalanceReading> {
  const reader = new BalanceReader(node, token, block);
  const balances = await reader.read(addresses);
  return { balances, method: reader.method, requests: reader.requests };
}

/**
 * The reader behind readBalances, for callers that read in several rounds at one block (the
 * scanner reads the holders of each chunk while it scans): the way to read is found once.
 */
export class BalanceReader {
  /** How the last read went; "batch" until something else was needed. */
  method: BalanceMethod = "batch";
  requests = 0;
  #multicall: Promise<boolean> | undefined;
  #batches = true;

  constructor(
    private readonly node: NodeClient,
    private readonly token: string,
    private readonly block: number,
    /** Requests in flight at once. */
    private readonly parallel = PARALLEL,
  ) {}

  async read(addresses: string[]): Promise<Map<string, bigint | null>> {
    const balances = new Map<string, bigint | null>();
    if (addresses.length === 0) return balances;
    this.#multicall ??= hasCode(this.node, MULTICALL3_ADDRESS, this.block);
    if (await this.#multicall) {
      const slices = chunks(addresses, CALLS_PER_MULTICALL);
      const read = await inParallel(slices, this.parallel, async (slice) => {
        this.requests++;
        return multicall(this.node, this.token, slice, this.block);
      });
      if (read.every((answers) => answers !== undefined)) {
        read.forEach((answers, index) => slices[index].forEach((address, i) => balances.set(address, (answers as (bigint | null)[])[i])));
        this.method = "multicall3";
        return balances;
      }
      // The node refused the aggregate call (a gas cap, a contract that is not Multicall3): ask in batches from now on.
      this.#multicall = Promise.resolve(false);
    }
    const call = (address: string) => ({ method: "eth_call", params: [{ to: this.token, data: balanceOfData(address) }, toBlockTag(this.block)] });
    if (this.#batches) {
      try {
        const slices = chunks(addresses, CALLS_PER_BATCH);
        const read = await inParallel(slices, this.parallel, async (slice) => {
          this.requests++;
          return this.node.batch<string>(slice.map(call));
        });
        read.forEach((answers, index) => slices[index].forEach((address, i) => balances.set(address, decodeBalance(answers[i]))));
        this.method = "batch";
        return balances;
      } catch (error) {
        if (!(error instanceof BatchUnsupportedError)) throw error;
        this.#batches = false;
      }
    }
    await inParallel(addresses, this.parallel * 2, async (address) => {
      this.requests++;
      try {
        balances.set(address, decodeBalance(await this.node.call<string>("eth_call", call(address).params)));
      } catch (error) {
        if (!(error instanceof RpcError)) throw error;
        balances.set(address, null);
      }
    });
    this.method = "single";
    return balances;
  }
}

/** One aggregate3 eth_call; undefined when the node refuses it as a whole. */
async function multicall(node: NodeClient, token: string, addresses: string[], block: number): Promise<(bigint | null)[] | undefined> {
  const data = MULTICALL.encodeFunctionData("aggregate3", [addresses.map((address) => [token, true, balanceOfData(address)])]);
  let answer: string;
  try {
    answer = await node.call<string>("eth_call", [{ to: MULTICALL3_ADDRESS, data }, toBlockTag(block)]);
  } catch (error) {
    if (error instanceof RpcError) return undefined;
    throw error;
  }
  try {
    const [results] = MULTICALL.decodeFunctionResult("aggregate3", answer) as unknown as [[boolean, string][]];
    if (results.length !== addresses.length) return undefined;
    return results.map(([success, returned]) => (success ? decodeBalance(returned) : null));
  } catch {
    return undefined;
  }
}

function balanceOfData(address: string): string {
  return `${BALANCE_OF}${address.slice(2).toLowerCase().padStart(64, "0")}`;
}

/** A uint256 answer; null for an error answer or anything that is not 32 bytes. */
function decodeBalance(answer: string | RpcError | null | undefined): bigint | null {
  if (typeof answer !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(answer)) return null;
  return BigInt(answer);
}

