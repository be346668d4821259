import { keccak256Bytes } from "../chain/checksum";
import { Transaction, type JsonRpcError, type JsonRpcPayload, type JsonRpcResult, type TransactionLike, type Wallet } from "ethers";
import { isNodeUnavailable } from "../chain/rpc";
import type { StoDatabase } from "../db/database";
import type { TxEnvironment } from "./environment";
import { ledgerOf, type PreparedTransaction, type TransactionSignature } from "./ledger";
import { classifySendError, errorText, type SendErrorKind } from "./node-errors";

/**
 * The hashes a transaction has ever had: its current one first (the most likely to be mined),
 * then the other recorded signatures. A row signed before signatures were recorded has only the first.
 */
export async function recordedHashes(db: StoDatabase, row: PreparedTransaction): Promise<string[]> {
  return hashesInOrder(row, await ledgerOf(db).signaturesOf(row.id));
}

/** recordedHashes from signatures already read. */
export function hashesInOrder(row: PreparedTransaction, signatures: readonly TransactionSignature[]): string[] {
  const hashes = signatures.map((signature) => signature.txHash).reverse();
  if (row.txHash) {
    const index = hashes.indexOf(row.txHash);
    if (index >= 0) hashes.splice(index, 1);
    hashes.unshift(row.txHash);
  }
  return hashes;
}

/** Everything that goes into a signature. */
export interface UnsignedFields {
  chainId: number;
  nonce: number;
  /** null for a deployment. */
  to: string | null;
  data: string;
  value: bigint;
  gasLimit: bigint;
  /** 0 = legacy with gasPrice, 2 = EIP-1559. */
  type: number;
  gasPrice?: bigint;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
}

export interface SignedTransaction {
  raw: string;
  hash: string;
}

/**
 * Signs offline with the account's key: nothing leaves the process. Types 0 (EIP-155) and 2 are
 * encoded here directly, as bytes (the same bytes as ethers' Transaction: test/tx/signing.test.ts):
 * ethers' encoding goes through hex text at each step, and its Keccak runs in JavaScript, which for
 * the calldata of a batch of 200 transfers (26 kB) cost about 8 ms a transaction once warm and 25-50
 * ms for the first ones in a fresh process; the first transactions of a tx-broadcast wait for that.
 */
export function signFields(wallet: Wallet, fields: UnsignedFields): SignedTransaction {
  if (fields.type === 2 && fields.maxFeePerGas !== undefined && fields.maxPriorityFeePerGas !== undefined && fields.maxPriorityFeePerGas <= fields.maxFeePerGas) {
    const body = [
      quantity(fields.chainId),
      quantity(fields.nonce),
      quantity(fields.maxPriorityFeePerGas),
      quantity(fields.maxFeePerGas),
      quantity(fields.gasLimit),
      toField(fields.to),
      quantity(fields.value),
      hexBytes(fields.data),
    ].map(rlpBytes);
    body.push(rlpList([]));
    const signature = wallet.signingKey.sign(keccak256Bytes(typed(2, rlpList(body))));
    const raw = typed(2, rlpList([...body, ...[quantity(signature.yParity), quantity(BigInt(signature.r)), quantity(BigInt(signature.s))].map(rlpBytes)]));
    return { raw: `0x${raw.toString("hex")}`, hash: `0x${Buffer.from(keccak256Bytes(raw)).toString("hex")}` };
  }
  if (fields.type === 0 && fields.gasPrice !== undefined && fields.chainId > 0) {
    const body = [quantity(fields.nonce), quantity(fields.gasPrice), quantity(fields.gasLimit), toField(fields.to), quantity(fields.value), hexBytes(fields.data)].map(rlpBytes);
    const chainId = BigInt(fields.chainId);
    const signature = wallet.signingKey.sign(keccak256Bytes(rlpList([...body, ...[quantity(chainId), EMPTY, EMPTY].map(rlpBytes)])));
    const v = chainId * 2n + 35n + BigInt(signature.yParity);
    const raw = rlpList([...body, ...[quantity(v), quantity(BigInt(signature.r)), quantity(BigInt(signature.s))].map(rlpBytes)]);
    return { raw: `0x${raw.toString("hex")}`, hash: `0x${Buffer.from(keccak256Bytes(raw)).toString("hex")}` };
  }
  return signWithEthers(wallet, fields);
}

const EMPTY = Buffer.alloc(0);

/** A number as RLP wants it: big-endian, no leading zero bytes, nothing for zero. */
function quantity(value: number | bigint): Buffer {
  if (value === 0 || value === 0n) return EMPTY;
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, "hex");
}

/** 0x-prefixed hex to bytes, refusing anything else (Buffer.from would stop silently at a bad digit). */
function hexBytes(hex: string): Buffer {
  if (!/^0x(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new Error(`not hex data: ${hex.slice(0, 50)}`);
  return Buffer.from(hex.slice(2), "hex");
}

/** The `to` field: empty for a deployment; an address checked at prepare time, checked for its form here. */
function toField(to: string | null): Buffer {
  if (to === null) return EMPTY;
  if (!/^0x[0-9a-fA-F]{40}$/.test(to)) throw new Error(`not an address: ${to}`);
  return Buffer.from(to.slice(2), "hex");
}

/** The RLP prefix of a string (offset 0x80) or a list (0xc0) of `length` bytes. */
function rlpPrefix(offset: number, length: number): Buffer {
  if (length < 56) return Buffer.from([offset + length]);
  const digits = quantity(length);
  return Buffer.concat([Buffer.from([offset + 55 + digits.length]), digits]);
}

/** RLP of a byte string: a single byte below 0x80 is itself. */
function rlpBytes(bytes: Buffer): Buffer {
  if (bytes.length === 1 && bytes[0] < 0x80) return bytes;
  return Buffer.concat([rlpPrefix(0x80, bytes.length), bytes]);
}

/** RLP of a list of items already encoded. */
function rlpList(items: readonly Buffer[]): Buffer {
  const length = items.reduce((sum, item) => sum + item.length, 0);
  return Buffer.concat([rlpPrefix(0xc0, length), ...items]);
}

/** An EIP-2718 typed transaction's bytes: its type, then its RLP. */
function typed(type: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), payload]);
}

/** ethers' Transaction: the reference the direct encoding is tested against, and any other type. */
export function signWithEthers(wallet: Wallet, fields: UnsignedFields): SignedTransaction {
  const unsigned: TransactionLike = {
    type: fields.type,
    chainId: BigInt(fields.chainId),
    nonce: fields.nonce,
    to: fields.to,
    data: fields.data,
    value: fields.value,
    gasLimit: fields.gasLimit,
  };
  if (fields.type === 0) {
    unsigned.gasPrice = fields.gasPrice;
  } else {
    unsigned.maxFeePerGas = fields.maxFeePerGas;
    unsigned.maxPriorityFeePerGas = fields.maxPriorityFeePerGas;
  }
  const transaction = Transaction.from(unsigned);
  transaction.signature = wallet.signingKey.sign(transaction.unsignedHash);
  return { raw: transaction.serialized, hash: transaction.hash as string };
}

/** The node's answer to a signed transaction: accepted, or the kind of refusal and its text. */
export type SubmitResult = { accepted: true } | { accepted: false; kind: SendErrorKind; message: string };

/**
 * Hands signed bytes to the node. Transient failures are retried by the transport; when it gives
 * up, its error (exit code 3) propagates: the bytes are recorded, a re-run sends them again.
 */
export async function submitRaw(env: TxEnvironment, raw: string): Promise<SubmitResult> {
  try {
    await sendRawTransaction(env, raw);
    return { accepted: true };
  } catch (error) {
    if (isNodeUnavailable(error)) throw error;
    return { accepted: false, kind: classifySendError(error), message: nodeMessage(error) };
  }
}

let nextRequestId = 1;

/**
 * eth_sendRawTransaction through the provider's transport (its _send, with the connection's
 * retries), not provider.send(): send() queues every request behind a setTimeout(0) that gathers
 * JSON-RPC batches, even with batching off, which delays each request by about 1 ms — a quarter of
 * the time the local chain takes to mine a transaction, and tx-broadcast sends them one after
 * another. The node's answer is checked as send() checks it: an error answer becomes the same
 * error (getRpcError), which classifySendError reads as before.
 */
async function sendRawTransaction(env: TxEnvironment, raw: string): Promise<void> {
  const payload: JsonRpcPayload = { method: "eth_sendRawTransaction", params: [raw], id: nextRequestId++, jsonrpc: "2.0" };
  const answers = (await env.provider._send(payload)) as (JsonRpcResult | JsonRpcError)[];
  const answer = answers.find((candidate) => candidate.id === payload.id);
  if (!answer) throw new Error(`missing response for request: ${JSON.stringify(answers).slice(0, 200)}`);
  if ("error" in answer) throw env.provider.getRpcError(payload, answer);
}

/** The node's own words, without ethers' wrapping (which repeats the whole request). */
export function nodeMessage(error: unknown): string {
  const record = error as { error?: { message?: unknown }; info?: { error?: { message?: unknown } }; shortMessage?: unknown };
  const inner = record?.error?.message ?? record?.info?.error?.message ?? record?.shortMessage;
  const text = typeof inner === "string" ? inner : errorText(error);
  return text.replace(/\s+/g, " ").trim().slice(0, 240);
}

/** Whether any recorded signature of this transaction is mined (or, optionally, in the node's pool). */
export async function isOneOfOursOnChain(env: TxEnvironment, row: PreparedTransaction, includePool = true): Promise<boolean> {
  for (const hash of await recordedHashes(env.db, row)) {
    if (await env.provider.getTransactionReceipt(hash)) return true;
    if (includePool && (await env.provider.getTransaction(hash))) return true;
  }
  return false;
}
