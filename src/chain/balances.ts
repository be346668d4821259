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

/** One view of a contract called once per account: its call data and how its answer is read. */
export interface AccountView<T> {
  data(address: string): string;
  /** The value from the call's answer (hex); null for anything that is not a valid answer. */
  decode(answer: string): T | null;
}

const BALANCE_VIEW: AccountView<bigint> = { data: balanceOfData, decode: decodeBalance };

/**
 * Reads one view per account at one block through the one transport: through Multicall3 where the
 * chain has code at its address, otherwise in JSON-RPC batches of eth_call, and one call at a time
 * (a few in parallel) when the node refuses batches. The way to read is found once, so callers may
 * read in several rounds. A node failure goes through (exit 3); a call the contract refuses is null.
 */
export class AccountViewReader<T> {
  /** How the last read went; "batch" until something else was needed. */
  method: BalanceMethod = "batch";
  requests = 0;
  #multicall: Promise<boolean> | undefined;
  #batches = true;

  constructor(
    private readonly node: NodeClient,
    private readonly target: string,
    private readonly block: number,
    private readonly view: AccountView<T>,
    /** Requests in flight at once. */
    private readonly parallel = PARALLEL,
    /** Calls per Multicall3 eth_call. */
    private readonly perMulticall = CALLS_PER_MULTICALL,
  ) {}

  async read(addresses: string[]): Promise<Map<string, T | null>> {
    const values = new Map<string, T | null>();
    if (addresses.length === 0) return values;
    const decode = (answer: string | RpcError | null | undefined): T | null => (typeof answer === "string" ? this.view.decode(answer) : null);
    this.#multicall ??= hasCode(this.node, MULTICALL3_ADDRESS, this.block);
    if (await this.#multicall) {
      const slices = chunks(addresses, this.perMulticall);
      const read = await inParallel(slices, this.parallel, async (slice) => {
        this.requests++;
        return multicall(this.node, this.target, slice.map((address) => this.view.data(address)), this.block);
      });
      if (read.every((answers) => answers !== undefined)) {
        read.forEach((answers, index) => slices[index].forEach((address, i) => {
          const answer = (answers as (string | null)[])[i];
          values.set(address, answer === null ? null : decode(answer));
        }));
        this.method = "multicall3";
        return values;
      }
      // The node refused the aggregate call (a gas cap, a contract that is not Multicall3): ask in batches from now on.
      this.#multicall = Promise.resolve(false);
    }
    const call = (address: string) => ({ method: "eth_call", params: [{ to: this.target, data: this.view.data(address) }, toBlockTag(this.block)] });
    if (this.#batches) {
      try {
        const slices = chunks(addresses, CALLS_PER_BATCH);
        const read = await inParallel(slices, this.parallel, async (slice) => {
          this.requests++;
          return this.node.batch<string>(slice.map(call));
        });
        read.forEach((answers, index) => slices[index].forEach((address, i) => values.set(address, decode(answers[i]))));
        this.method = "batch";
        return values;
      } catch (error) {
        if (!(error instanceof BatchUnsupportedError)) throw error;
        this.#batches = false;
      }
    }
    await inParallel(addresses, this.parallel * 2, async (address) => {
      this.requests++;
      try {
        values.set(address, decode(await this.node.call<string>("eth_call", call(address).params)));
      } catch (error) {
        if (!(error instanceof RpcError)) throw error;
        values.set(address, null);
      }
    });
    this.method = "single";
    return values;
  }
}

/**
 * The reader behind readBalances, for callers that read in several rounds at one block (the
 * scanner reads the holders of each chunk while it scans): the way to read is found once.
 */
export class BalanceReader extends AccountViewReader<bigint> {
  constructor(node: NodeClient, token: string, block: number, parallel = PARALLEL) {
    super(node, token, block, BALANCE_VIEW, parallel);
  }
}

/** One aggregate3 eth_call of the calls to `target`; each answer's data, null where the call failed; undefined when the node refuses it as a whole. */
async function multicall(node: NodeClient, target: string, calls: string[], block: number): Promise<(string | null)[] | undefined> {
  const data = MULTICALL.encodeFunctionData("aggregate3", [calls.map((callData) => [target, true, callData])]);
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

function balanceOfData(address: string): string {
  return `${BALANCE_OF}${address.slice(2).toLowerCase().padStart(64, "0")}`;
}

/** A uint256 answer; null for an error answer or anything that is not 32 bytes. */
function decodeBalance(answer: string): bigint | null {
  if (!/^0x[0-9a-fA-F]{64}$/.test(answer)) return null;
  return BigInt(answer);
}

