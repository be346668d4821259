import { callDeployless, HEX_ADDRESS, READS_IN_FLIGHT } from "./balances";
import { batchedReads, chunks, inParallel } from "./batched";
import { isCode } from "./erc20";
import { RpcError, toBlockTag, type NodeClient } from "./rpc";

/**
 * Accounts per deployless AccountCodes call: 20 bytes each, so a call's data (about 20 KB) stays
 * below EIP-3860's 49,152-byte limit on creation code, its answer (one byte each) far below
 * EIP-170's 24,576, and its ~3 M gas below every node's eth_call gas cap.
 */
const ACCOUNTS_PER_CALL = 1_000;

export interface CodeReading {
  /** Per address, in order: whether it has code at the block, or the node's refusal of its eth_getCode. */
  hasCode: (boolean | RpcError)[];
  /** One eth_call per 1,000 accounts without a contract on chain (AccountCodes), or eth_getCode in JSON-RPC batches. */
  method: "deployless" | "getCode";
}

/**
 * Which of many accounts have code at one block: deployless (contracts/reads/AccountCodes.sol, one
 * eth_call per 1,000 accounts), and where the node refuses that or answers anything unexpected,
 * eth_getCode of every account in JSON-RPC batches (one by one for a node that refuses batches).
 */
export async function readHasCode(node: NodeClient, addresses: readonly string[], block: number): Promise<CodeReading> {
  const slices = chunks([...addresses], ACCOUNTS_PER_CALL);
  const answers = await inParallel(slices, READS_IN_FLIGHT, (slice) => deploylessCodes(node, slice, block));
  if (answers.every((answer) => answer !== undefined)) return { hasCode: (answers as boolean[][]).flat(), method: "deployless" };
  const codes = await batchedReads<string>(node, addresses.map((address) => ({ method: "eth_getCode", params: [address, toBlockTag(block)] })));
  return { hasCode: codes.map((code) => (code instanceof RpcError ? code : isCode(code))), method: "getCode" };
}

/** One AccountCodes eth_call; undefined when the node refuses it or answers anything but one 0/1 byte per account. */
async function deploylessCodes(node: NodeClient, accounts: readonly string[], block: number): Promise<boolean[] | undefined> {
  const answer = await callDeployless(node, "AccountCodes", encodeAccountCodesArguments(accounts), block, accounts.length);
  if (answer === undefined) return undefined;
  const flags: boolean[] = [];
  for (let index = 0; index < accounts.length; index++) {
    const flag = answer.slice(2 + index * 2, 4 + index * 2);
    if (flag !== "00" && flag !== "01") return undefined;
    flags.push(flag === "01");
  }
  return flags;
}

/**
 * What follows AccountCodes' creation code, as hex without 0x: the accounts packed, 20 bytes each,
 * then their count as one 32-byte word (see contracts/reads/AccountCodes.sol). Refuses anything
 * that is not a 20-byte hex address.
 */
export function encodeAccountCodesArguments(accounts: readonly string[]): string {
  const parts: string[] = [];
  for (const account of accounts) {
    if (!HEX_ADDRESS.test(account)) throw new Error(`not an address: ${account}`);
    parts.push(account.slice(2).toLowerCase());
  }
  parts.push(accounts.length.toString(16).padStart(64, "0"));
  return parts.join("");
}
