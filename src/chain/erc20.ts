import { RpcError, toBlockTag, type NodeClient } from "./rpc";

/** keccak256("Transfer(address,address,uint256)"): ERC-20 (and ERC-721) Transfer events. */
export const TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";

/** The optional ERC-20 metadata; null where the token does not say (or says something unreadable). */
export interface Erc20Metadata {
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

/**
 * eth_call of a view without arguments; undefined when the contract reverts or has no such
 * function (the node's error answer, or empty return data). A node that fails is not an answer
 * about the contract: its NodeUnavailableError goes through (exit 3), it never reads as "absent".
 */
async function callView(node: NodeClient, address: string, selector: string, block: number | "latest"): Promise<string | undefined> {
  try {
    const result = await node.call<string>("eth_call", [{ to: address, data: selector }, toBlockTag(block)]);
    return typeof result === "string" && result.length > 2 ? result : undefined;
  } catch (error) {
    if (error instanceof RpcError) return undefined;
    throw error;
  }
}

/**
 * Reads the optional ERC-20 metadata. Old tokens return bytes32 instead of string (MKR) or lack
 * decimals; names come from an arbitrary contract, so control characters are removed before they
 * can reach a terminal.
 */
export async function readErc20Metadata(node: NodeClient, address: string, block: number | "latest" = "latest"): Promise<Erc20Metadata> {
  const [name, symbol, decimals] = await Promise.all([
    callView(node, address, SELECTORS.name, block),
    callView(node, address, SELECTORS.symbol, block),
    callView(node, address, SELECTORS.decimals, block),
  ]);
  return { name: decodeText(name), symbol: decodeText(symbol), decimals: decodeDecimals(decimals) };
}

/** decimals() alone; null when the token does not say. */
export async function readErc20Decimals(node: NodeClient, address: string, block: number | "latest" = "latest"): Promise<number | null> {
  return decodeDecimals(await callView(node, address, SELECTORS.decimals, block));
}

/** totalSupply() at a block, or null when the node cannot tell (no such function, pruned state). */
export async function readTotalSupply(node: NodeClient, address: string, block: number): Promise<bigint | null> {
  const result = await callView(node, address, SELECTORS.totalSupply, block);
  if (!result || result.length !== 66) return null;
  return BigInt(result);
}

export async function hasCode(node: NodeClient, address: string, block: number | "latest"): Promise<boolean> {
  return isCode(await node.call<string>("eth_getCode", [address, toBlockTag(block)]));
}

/** Whether an eth_getCode answer is code (a node may answer "0x" or "" for none). */
export function isCode(code: unknown): boolean {
  return typeof code === "string" && code !== "0x" && code !== "";
}

/** A name() or symbol() answer as text: an ABI string, or a bytes32 padded with zero bytes (early tokens); null when it is neither. */
export function decodeText(result: string | undefined): string | null {
  if (!result) return null;
  let text: string | undefined;
  try {
    text = result.length === 66 ? utf8(hexBytes(result.replace(/(00)+$/, ""))) : decodeAbiString(result);
  } catch {
    return null;
  }
  const clean = sanitise(text);
  return clean === "" ? null : clean;
}

/**
 * An ABI-encoded `string` return value: the offset of its length word, the length, the bytes.
 * Read here rather than by ethers' AbiCoder, which costs every scan about 100 ms to load.
 */
export function decodeAbiString(result: string): string {
  const data = hexBytes(result);
  const offset = wordAt(data, 0);
  const length = wordAt(data, offset);
  const start = offset + 32;
  if (start + length > data.length) throw new Error("string data past the end of the answer");
  return utf8(data.subarray(start, start + length));
}

/** The 32-byte unsigned word at `position`, as a position or length within `data`. */
function wordAt(data: Buffer, position: number): number {
  if (position + 32 > data.length) throw new Error("word past the end of the answer");
  const word = BigInt(`0x${data.subarray(position, position + 32).toString("hex")}`);
  if (word > BigInt(data.length)) throw new Error("offset or length past the end of the answer");
  return Number(word);
}

function hexBytes(hex: string): Buffer {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(hex)) throw new Error("not hex data");
  return Buffer.from(hex.slice(2), "hex");
}

/** Strict UTF-8: malformed text is no name (as with ethers' toUtf8String). */
function utf8(bytes: Uint8Array): string {
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
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
