import { AbiCoder, toUtf8String } from "ethers";
import { isRateLimited, RpcError, type RpcClient } from "./rpc";

export interface TokenMetadata {
  name: string | null;
  symbol: string | null;
  decimals: number | null;
}

const SELECTORS = {
  name: "0x06fdde03",
  symbol: "0x95d89b41",
  decimals: "0x313ce567",
  totalSupply: "0x18160ddd",
} as const;

export function toBlockTag(block: number | "latest"): string {
  return block === "latest" ? "latest" : `0x${block.toString(16)}`;
}

/** eth_call of a view without arguments; undefined when the contract reverts or has no such function. */
async function callView(rpc: RpcClient, address: string, selector: string, block: number | "latest"): Promise<string | undefined> {
  try {
    const result = await rpc.call<string>("eth_call", [{ to: address, data: selector }, toBlockTag(block)]);
    return typeof result === "string" && result.length > 2 ? result : undefined;
  } catch (error) {
    // A rate limit or an overloaded node says nothing about the contract: the caller retries.
    if (error instanceof RpcError && !isRateLimited(error)) return undefined;
    throw error;
  }
}

/**
 * Reads the optional ERC-20 metadata. Old tokens return bytes32 instead of string (MKR) or lack
 * decimals; names come from an arbitrary contract, so control characters are removed before they
 * can reach a terminal.
 */
export async function readTokenMetadata(rpc: RpcClient, address: string, block: number | "latest"): Promise<TokenMetadata> {
  const [name, symbol, decimals] = await Promise.all([
    callView(rpc, address, SELECTORS.name, block),
    callView(rpc, address, SELECTORS.symbol, block),
    callView(rpc, address, SELECTORS.decimals, block),
  ]);
  return { name: decodeText(name), symbol: decodeText(symbol), decimals: decodeDecimals(decimals) };
}

/** totalSupply() at a block, or null when the node cannot tell (no such function, pruned state). */
export async function readTotalSupply(rpc: RpcClient, address: string, block: number): Promise<bigint | null> {
  const result = await callView(rpc, address, SELECTORS.totalSupply, block);
  if (!result || result.length !== 66) return null;
  return BigInt(result);
}

export async function hasCode(rpc: RpcClient, address: string, block: number | "latest"): Promise<boolean> {
  const code = await rpc.call<string>("eth_getCode", [address, toBlockTag(block)]);
  return typeof code === "string" && code !== "0x" && code !== "";
}

/**
 * The block that created the contract, by binary search over eth_getCode (`hasCodeAt`): about 25
 * calls on mainnet. Needs historical state; a pruned node answers with an error and we return
 * undefined.
 */
export async function findCreationBlock(hasCodeAt: (block: number) => Promise<boolean>, latest: number): Promise<number | undefined> {
  try {
    if (await hasCodeAt(0)) return 0;
    let low = 0; // no code here
    let high = latest; // code here
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (await hasCodeAt(middle)) high = middle;
      else low = middle;
    }
    return high;
  } catch (error) {
    if (error instanceof RpcError) return undefined;
    throw error;
  }
}

function decodeText(result: string | undefined): string | null {
  if (!result) return null;
  let text: string | undefined;
  try {
    if (result.length === 66) {
      // bytes32: the text padded with zero bytes.
      text = toUtf8String(result.replace(/(00)+$/, ""));
    } else {
      text = AbiCoder.defaultAbiCoder().decode(["string"], result)[0] as string;
    }
  } catch {
    return null;
  }
  const clean = sanitise(text);
  return clean === "" ? null : clean;
}

function decodeDecimals(result: string | undefined): number | null {
  if (!result || result.length !== 66) return null;
  const value = BigInt(result);
  return value <= 255n ? Number(value) : null;
}

/** Removes control characters (terminal escapes, newlines) and bounds the length. */
export function sanitise(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, "").trim();
  return clean.length > 100 ? `${clean.slice(0, 100)}…` : clean;
}
