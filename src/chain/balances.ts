import fs from "node:fs";
import path from "node:path";
import type { Interface } from "ethers";
import { StoError } from "../errors";
import { PACKAGE_ROOT } from "../package-root";
import { chunks, inParallel } from "./batched";
import { hasCode } from "./erc20";
import { BatchUnsupportedError, RpcError, toBlockTag, type NodeClient } from "./rpc";

/** Multicall3's address: the same on every chain where it is deployed (https://www.multicall3.com). */
export const MULTICALL3_ADDRESS = "0xcA11bde05977b3631167028862bE2a173976CA11";

const BALANCE_OF = "0x70a08231";
let multicallInterface: Interface | undefined;

/**
 * Multicall3's ABI, made on first use: ethers takes about 100 ms to load, and a scan on a chain
 * without Multicall3 (or a scan with --no-verify) never needs it.
 */
async function multicall3(): Promise<Interface> {
  const { Interface } = await import("ethers");
  return (multicallInterface ??= new Interface([
    "function aggregate3((address target, bool allowFailure, bytes callData)[] calls) payable returns ((bool success, bytes returnData)[] returnData)",
  ]));
}

/** balanceOf calls per Multicall3 eth_call: about 3,000 gas each, far below any node's eth_call gas cap. */
const CALLS_PER_MULTICALL = 1_000;
/**
 * The most one deployless eth_call may answer: its answer is taken as the code of a contract being
 * created, which EIP-170 limits to 24,576 bytes on every chain (so 744 balances per call). Each
 * balance costs about 10,000 gas there (the call, and 200 gas per byte of "code" returned), so a
 * full call needs about 7.5 M gas: well below the eth_call gas caps of geth (50 M), Hardhat and
 * anvil (their block gas limit, 30 M).
 */
const MAX_DEPLOYLESS_ANSWER = 24_576;
/** eth_call requests per JSON-RPC batch: providers cap batches at 100 (Infura) to 1,000 (Alchemy). */
const CALLS_PER_BATCH = 100;
/** Requests (batches or multicalls) in flight at once: the transport keeps four sockets. */
export const READS_IN_FLIGHT = 4;
const PARALLEL = READS_IN_FLIGHT;

export type BalanceMethod = "multicall3" | "deployless" | "batch" | "single";

export interface BalanceReading {
  /** Lowercase address → balanceOf at the block; null where the call failed (reverted, no state). */
  balances: Map<string, bigint | null>;
  /** How they were read: one eth_call per 1,000 holders through Multicall3, one per 744 without a contract (deployless), JSON-RPC batches, or one call each. */
  method: BalanceMethod;
  requests: number;
}

/**
 * Reads balanceOf(address) of many holders at one block through the one transport: through
 * Multicall3 where the chain has code at its address (one eth_call per 1,000 holders), otherwise
 * deployless (one eth_call per 744 holders, contracts/reads/AccountReads.sol), in JSON-RPC batches
 * of eth_call when the node refuses that, and one call at a time (a few in parallel) when it also
 * refuses batches. A node failure goes through (exit 3); a call the contract refuses is null.
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
  /**
   * Where `data(address)` is `selector` followed by the address as one word, and every valid answer
   * is exactly `words` words: many accounts can be read in one deployless eth_call (AccountReads).
   */
  deployless?: { selector: string; words: number };
}

const BALANCE_VIEW: AccountView<bigint> = { data: balanceOfData, decode: decodeBalance, deployless: { selector: BALANCE_OF, words: 1 } };

/**
 * Reads one view per account at one block through the one transport: through Multicall3 where the
 * chain has code at its address, otherwise deployless where the view allows it (one eth_call
 * without a recipient whose data is AccountReads' creation code: its constructor makes the calls
 * and returns the answers), in JSON-RPC batches of eth_call when the node refuses that, and one
 * call at a time (a few in parallel) when it refuses batches. The way to read is found once, so
 * callers may read in several rounds. An account whose call failed inside an aggregate call is
 * read again on its own: a call that reverted, or that ran short of the gas the others left it,
 * gets exactly the answer a single eth_call gets. A node failure goes through (exit 3); a call the
 * contract refuses is null.
 */
export class AccountViewReader<T> {
  /** How the last read went; "batch" until something else was needed. */
  method: BalanceMethod = "batch";
  requests = 0;
  #multicall: Promise<boolean> | undefined;
  #batches = true;
  #deployless = true;

  constructor(
    private readonly node: NodeClient,
    private readonly target: string,
    private readonly block: number,
    private readonly view: AccountView<T>,
    /** Requests in flight at once; may be changed between reads. */
    public parallel = PARALLEL,
    /** Calls per Multicall3 eth_call. */
    private readonly perMulticall = CALLS_PER_MULTICALL,
  ) {}

  async read(addresses: string[]): Promise<Map<string, T | null>> {
    const values = new Map<string, T | null>();
    if (addresses.length === 0) return values;
    this.#multicall ??= hasCode(this.node, MULTICALL3_ADDRESS, this.block);
    let aggregated: (string | null)[] | undefined;
    let method: BalanceMethod | undefined;
    if (await this.#multicall) {
      aggregated = await this.#aggregate(addresses, this.perMulticall, (slice) => multicall(this.node, this.target, slice.map((address) => this.view.data(address)), this.block));
      // The node refused the aggregate call (a gas cap, a contract that is not Multicall3): the next way from now on.
      if (aggregated) method = "multicall3";
      else this.#multicall = Promise.resolve(false);
    }
    const deployless = this.view.deployless;
    if (!aggregated && deployless && this.#deployless) {
      const size = Math.min(this.perMulticall, Math.floor(MAX_DEPLOYLESS_ANSWER / (deployless.words * 32 + 1)));
      aggregated = await this.#aggregate(addresses, size, (slice) => deploylessCall(this.node, this.target, deployless, slice, this.block));
      if (aggregated) method = "deployless";
      else this.#deployless = false;
    }
    if (aggregated && method) {
      const again: string[] = [];
      addresses.forEach((address, index) => {
        const answer = (aggregated as (string | null)[])[index];
        if (answer === null) again.push(address);
        else values.set(address, this.view.decode(answer));
      });
      if (again.length > 0) for (const [address, value] of await this.#readEach(again)) values.set(address, value);
      this.method = method;
      return values;
    }
    return this.#readEach(addresses);
  }

  /** Every account's answer through aggregate calls of `size` accounts (null where its call failed); undefined when the node refused one. */
  async #aggregate(addresses: string[], size: number, call: (slice: string[]) => Promise<(string | null)[] | undefined>): Promise<(string | null)[] | undefined> {
    const read = await inParallel(chunks(addresses, size), this.parallel, async (slice) => {
      this.requests++;
      return call(slice);
    });
    if (!read.every((answers) => answers !== undefined)) return undefined;
    return (read as (string | null)[][]).flat();
  }

  /** One eth_call per account: in JSON-RPC batches, or one at a time when the node refuses batches. */
  async #readEach(addresses: string[]): Promise<Map<string, T | null>> {
    const values = new Map<string, T | null>();
    const decode = (answer: string | RpcError | null | undefined): T | null => (typeof answer === "string" ? this.view.decode(answer) : null);
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
  const abi = await multicall3();
  const data = abi.encodeFunctionData("aggregate3", [calls.map((callData) => [target, true, callData])]);
  let answer: string;
  try {
    answer = await node.call<string>("eth_call", [{ to: MULTICALL3_ADDRESS, data }, toBlockTag(block)]);
  } catch (error) {
    if (error instanceof RpcError) return undefined;
    throw error;
  }
  try {
    const [results] = abi.decodeFunctionResult("aggregate3", answer) as unknown as [[boolean, string][]];
    if (results.length !== calls.length) return undefined;
    return results.map(([success, returned]) => (success ? returned : null));
  } catch {
    return undefined;
  }
}

/**
 * One deployless eth_call: AccountReads' creation code with the calls' arguments, sent without a
 * recipient. Each answer's data, null where the call failed; undefined when the node refuses it
 * (an eth_call gas cap, a node that does not run creation code in eth_call) or answers anything
 * but the expected length.
 */
async function deploylessCall(node: NodeClient, target: string, view: { selector: string; words: number }, accounts: string[], block: number): Promise<(string | null)[] | undefined> {
  const size = view.words * 32;
  const answer = await callDeployless(node, "AccountReads", encodeAccountReadsArguments(target, view.selector, view.words, accounts), block, accounts.length * (size + 1));
  if (answer === undefined) return undefined;
  // One status byte per account, then one slot of `size` bytes per account.
  const slots = 2 + accounts.length * 2;
  const answers: (string | null)[] = [];
  for (let index = 0; index < accounts.length; index++) {
    const status = answer.slice(2 + index * 2, 4 + index * 2);
    if (status === "00") answers.push(null);
    else if (status === "01") answers.push(`0x${answer.slice(slots + index * size * 2, slots + (index + 1) * size * 2)}`);
    else return undefined;
  }
  return answers;
}

/**
 * One eth_call without a recipient whose data is the creation code of `contract` (contracts/reads/)
 * followed by `argumentsHex`: the constructor's answer as hex, or undefined when the node refuses
 * the call (an eth_call gas cap, a node that does not run creation code in eth_call) or answers
 * anything but `answerBytes` bytes of hex. A node failure goes through.
 */
export async function callDeployless(node: NodeClient, contract: DeploylessContract, argumentsHex: string, block: number, answerBytes: number): Promise<string | undefined> {
  let answer: unknown;
  try {
    answer = await node.call<string>("eth_call", [{ data: `${deploylessBytecode(contract)}${argumentsHex}` }, toBlockTag(block)]);
  } catch (error) {
    if (error instanceof RpcError) return undefined;
    throw error;
  }
  if (typeof answer !== "string" || answer.length !== 2 + answerBytes * 2 || !/^0x[0-9a-fA-F]*$/.test(answer)) return undefined;
  return answer;
}

export const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const HEX_SELECTOR = /^0x[0-9a-fA-F]{8}$/;

/**
 * AccountReads' arguments, appended to its creation code as hex without 0x: packed, not ABI-encoded
 * (the constructor decodes nothing, so it executes a handful of instructions per account): `target`
 * and `words` as one word each, then each account's call input `selector ‖ account` (36 bytes),
 * then the number of accounts as one word. Written out by hand: ethers checksums every address it
 * encodes (a Keccak each, about 50 µs an address). Refuses anything that is not a 20-byte hex
 * address.
 */
export function encodeAccountReadsArguments(target: string, selector: string, words: number, accounts: readonly string[]): string {
  if (!HEX_SELECTOR.test(selector)) throw new Error(`not a 4-byte selector: ${selector}`);
  if (!Number.isSafeInteger(words) || words < 0) throw new Error(`not a word count: ${words}`);
  const word = (address: string) => {
    if (!HEX_ADDRESS.test(address)) throw new Error(`not an address: ${address}`);
    return `000000000000000000000000${address.slice(2).toLowerCase()}`;
  };
  const uint = (value: number) => value.toString(16).padStart(64, "0");
  const call = selector.slice(2).toLowerCase();
  const parts = [word(target), uint(words)];
  for (const account of accounts) parts.push(call, word(account));
  parts.push(uint(accounts.length));
  return parts.join("");
}

/** The never-deployed contracts of contracts/reads/. */
type DeploylessContract = "AccountReads" | "AccountCodes";

const readsBytecode = new Map<string, string>();

/** The creation code of a contract of contracts/reads/ (AccountReads, AccountCodes), from the build (artifacts/), read once. */
export function deploylessBytecode(contract: DeploylessContract): string {
  let bytecode = readsBytecode.get(contract);
  if (bytecode === undefined) {
    const file = path.join(PACKAGE_ROOT, "artifacts", "contracts", "reads", `${contract}.sol`, `${contract}.json`);
    if (!fs.existsSync(file)) throw new StoError(`contract ${contract} not found at ${file}: run "npm run build"`);
    bytecode = (JSON.parse(fs.readFileSync(file, "utf8")) as { bytecode: string }).bytecode;
    readsBytecode.set(contract, bytecode);
  }
  return bytecode;
}

function balanceOfData(address: string): string {
  return `${BALANCE_OF}${address.slice(2).toLowerCase().padStart(64, "0")}`;
}

/** A uint256 answer; null for an error answer or anything that is not 32 bytes. */
function decodeBalance(answer: string): bigint | null {
  if (!/^0x[0-9a-fA-F]{64}$/.test(answer)) return null;
  return BigInt(answer);
}

