import { getAddress } from "ethers";
import { nowIso } from "../db/database";
import { batchedReads } from "../chain/batched";
import { nodeClient } from "../chain/provider";
import { isNodeUnavailable, NodeUnavailableError, RpcError, toBlockTag } from "../chain/rpc";
import type { TxEnvironment } from "./environment";
import { AWAITING_RESULT_STATUSES, ledgerOf, REORG_CHECKED_STATUSES, type MinedSignature, type PreparedTransaction, type ResultChange, type TxStatus } from "./ledger";
import { findAccount } from "./nonces";
import { describeRevert } from "./revert-reason";
import { hashesInOrder } from "./signatures";

export interface UpdateOptions {
  /** Blocks (counting the transaction's own) before a result is final. */
  confirmations: number;
}

export interface UpdateReport {
  /** Every transaction whose row changed or that is still not final. */
  rows: PreparedTransaction[];
  changed: number;
  final: number;
  /** Results recorded earlier whose block is no longer on the chain, as they were recorded. */
  reorganised: PreparedTransaction[];
  /** The chain's newest block number when the update began (unset when there was nothing to look at). */
  head?: number;
}

/**
 * How far back tx-update looks for recorded results whose block left the chain. Reorganisations
 * deeper than the confirmations are rare on public networks but routine on development chains
 * (anvil_reorg, a reverted snapshot); 256 blocks is ~50 minutes on Ethereum.
 */
export const REORG_LOOKBACK_BLOCKS = 256;

/**
 * Reads receipts of the account's broadcast transactions and records block, block hash, gas used,
 * success or failure and the revert reason. A result counts as final only once its block has
 * `confirmations` blocks on top and is still canonical; until then the status is "mining".
 * A transaction whose block was replaced by a reorg goes back to "broadcasted"; one the node no
 * longer knows at all becomes "dropped", and tx-broadcast resends its same bytes. This holds for
 * a final success too: one recorded in the last REORG_LOOKBACK_BLOCKS blocks whose block is no
 * longer canonical is awaited again (and reported), never left claiming a payment the chain no
 * longer has. A failure stays failed (see states.ts).
 *
 * A transaction may have several signed versions (tx-bump, tx-cancel): whichever is mined is
 * recorded as the transaction's hash and marked "mined", the others "replaced". A nonce used by a
 * transaction that is none of ours counts as failed only once that use has `confirmations` blocks.
 */
export async function updateTransactions(env: TxEnvironment, options: UpdateOptions): Promise<UpdateReport> {
  const ledger = ledgerOf(env.db);
  const nothing: UpdateReport = { rows: [], changed: 0, final: 0, reorganised: [] };
  const account = await findAccount(env);
  if (!account) return nothing;
  const awaited = await ledger.transactionsInStatus(account.id, AWAITING_RESULT_STATUSES);
  const head = await env.provider.getBlockNumber();
  const node = nodeClient(env.provider);
  const canonicalHashes = new Map<number, string | undefined>();
  // The canonical hash of each block, one header per block, read in JSON-RPC batches: a large
  // distribution spans thousands of blocks on a chain that mines each transaction alone.
  const readCanonicalHashes = async (blocks: number[]): Promise<void> => {
    const missing = [...new Set(blocks)].filter((block) => !canonicalHashes.has(block));
    const answers = await batchedReads<unknown>(
      node,
      missing.map((block) => ({ method: "eth_getBlockByNumber", params: [toBlockTag(block), false] })),
    );
    answers.forEach((answer, index) => {
      if (answer instanceof RpcError) throw answer;
      canonicalHashes.set(missing[index], blockHashOf(answer, missing[index]));
    });
  };
  const canonicalHash = (blockNumber: number): string | undefined => canonicalHashes.get(blockNumber);

  const recorded = await ledger.transactionsInStatus(account.id, REORG_CHECKED_STATUSES, { minedFrom: Math.max(0, head - REORG_LOOKBACK_BLOCKS + 1) });
  await readCanonicalHashes(recorded.map((row) => row.blockNumber).filter((block): block is number => block !== null && block <= head));
  const reorganised: PreparedTransaction[] = [];
  for (const row of recorded) {
    const hash = row.blockNumber === null || row.blockNumber > head ? undefined : canonicalHash(row.blockNumber);
    if (hash?.toLowerCase() !== row.blockHash?.toLowerCase()) reorganised.push(row);
  }
  const reopened = new Set(reorganised.map((row) => row.id));
  const open = [...awaited, ...reorganised].sort((a, b) => a.nonce - b.nonce);
  if (open.length === 0) return { ...nothing, head };

  const latestNonce = await env.provider.getTransactionCount(env.address, "latest");
  // Each row's signatures, read once, in a few queries: their hashes for the receipts, their statuses below.
  const signaturesOf = await ledger.signaturesOfMany(open.map((row) => row.id));
  const hashes = new Map<number, string[]>();
  for (const row of open) hashes.set(row.id, hashesInOrder(row, signaturesOf.get(row.id) ?? []));
  const receipts = await readReceipts(env, [...new Set([...hashes.values()].flat())]);
  await readCanonicalHashes([...receipts.values()].map((receipt) => receipt.blockNumber));
  // Whether the node holds the unmined ones in its pool, in batches too: while a distribution is
  // being mined, thousands are pending at every round of tx-update --wait.
  const unmined = open.filter((row) => !(hashes.get(row.id) ?? []).some((hash) => receipts.has(hash)));
  const pooled = await readPooledHashes(env, [...new Set(unmined.flatMap((row) => hashes.get(row.id) ?? []))]);

  const codeCache = new Map<string, boolean>();
  const hasCodeAt = async (address: string | null, receipt: MinedReceipt): Promise<boolean> => {
    if (!address) return true;
    // An event the address emitted in this transaction proves its code ran: no need to ask.
    if (receipt.logAddresses.has(address.toLowerCase())) return true;
    const blockNumber = receipt.blockNumber;
    const key = `${address}@${blockNumber}`;
    if (!codeCache.has(key)) codeCache.set(key, (await env.provider.getCode(address, blockNumber)) !== "0x");
    return codeCache.get(key) as boolean;
  };

  // The account's nonce as of the newest block that already has `confirmations` blocks: a nonce
  // below it was used for good, a nonce above it may still be undone by a reorg.
  let settledNonce: number | undefined;
  const nonceSettled = async (nonce: number): Promise<boolean> => {
    if (settledNonce === undefined) {
      const settledBlock = head - options.confirmations + 1;
      settledNonce = settledBlock < 0 ? 0 : await env.provider.getTransactionCount(env.address, settledBlock);
    }
    return nonce < settledNonce;
  };

  const changes: ResultChange[] = [];
  // A change is decided from the row's status as read: the ledger checks the move and writes it only from there.
  const change = (row: PreparedTransaction, set: ResultChange["set"]): void => {
    changes.push({ id: row.id, nonce: row.nonce, from: row.status, set });
  };
  const signatureChanges: MinedSignature[] = [];
  let finalCount = 0;
  for (const row of open) {
    const signatures = signaturesOf.get(row.id) ?? [];
    const found = (hashes.get(row.id) ?? []).map((hash) => receipts.get(hash)).find((receipt) => receipt !== undefined);
    if (!found) {
      // Mined versions that a reorg removed are candidates again.
      if (signatures.some((signature) => signature.status === "mined" || signature.status === "replaced")) {
        signatureChanges.push({ transactionId: row.id });
      }
      let status: TxStatus = row.status === "mining" || reopened.has(row.id) ? "broadcasted" : row.status;
      let revertReason: string | null = null;
      if ((hashes.get(row.id) ?? []).some((hash) => pooled.has(hash))) {
        status = "broadcasted";
      } else if (row.nonce >= latestNonce) {
        // Neither mined nor in the node's pool: tx-broadcast sends the current version again.
        status = "dropped";
      } else if (await nonceSettled(row.nonce)) {
        // The nonce was used for good, by none of our signatures: a transaction from elsewhere.
        status = "failed";
        revertReason = "nonce used by a transaction not in this database";
      }
      if (status !== row.status || row.blockNumber !== null) {
        change(row, {
          status,
          blockNumber: null,
          blockHash: null,
          confirmations: null,
          succeeded: status === "failed" ? false : null,
          revertReason,
          resultFetchedAt: nowIso(),
        });
      }
      continue;
    }
    const receipt = found;
    const hash = found.hash;
    const confirmations = head - receipt.blockNumber + 1;
    const canonical = canonicalHash(receipt.blockNumber) === receipt.blockHash.toLowerCase();
    if (!canonical) {
      change(row, { status: "broadcasted", blockNumber: null, blockHash: null, confirmations: null, succeeded: null });
      signatureChanges.push({ transactionId: row.id });
      continue;
    }
    signatureChanges.push({ transactionId: row.id, minedHash: hash });
    const minedVersion = signatures.find((signature) => signature.txHash === hash);
    const final = confirmations >= options.confirmations;
    const cancelled = minedVersion?.kind === "cancel";
    // A call to an address without code "succeeds" on chain doing nothing: typically the contract's
    // deployment failed earlier in the batch. That is a failure for the audit log.
    const missingContract =
      !cancelled && receipt.status === 1 && !row.isDeployment && row.contractName !== null && !(await hasCodeAt(row.toAddress, receipt));
    const succeeded = receipt.status === 1 && !missingContract && !cancelled;
    const status: TxStatus = !final ? "mining" : succeeded ? "success" : "failed";
    const gasLimit = minedVersion?.gasLimit ?? row.gasLimit;
    const revertReason = cancelled
      ? `cancelled: nonce ${row.nonce} was used by the no-op transfer of tx-cancel`
      : missingContract
        ? `no contract at ${row.toAddress} (did its deployment fail?)`
        : !succeeded
          ? await findRevertReason(env, { ...row, gasLimit }, receipt)
          : null;
    if (final) finalCount += 1;
    change(row, {
      status,
      txHash: hash,
      rawTransaction: minedVersion?.rawTransaction ?? row.rawTransaction,
      gasLimit,
      blockNumber: receipt.blockNumber,
      blockHash: receipt.blockHash,
      gasUsed: receipt.gasUsed.toString(),
      confirmations,
      succeeded: final ? succeeded : null,
      revertReason,
      resultFetchedAt: nowIso(),
      contractAddress: row.isDeployment && !cancelled ? (receipt.contractAddress ?? row.contractAddress) : row.contractAddress,
    });
  }

  await ledger.recordResults(changes, signatureChanges);
  const rows = await ledger.transactionsById(open.map((row) => row.id));
  return { rows, changed: changes.length, final: finalCount, reorganised, head };
}

/** What tx-update reads of a receipt. */
interface MinedReceipt {
  hash: string;
  blockNumber: number;
  blockHash: string;
  status: number;
  gasUsed: bigint;
  contractAddress: string | null;
  /** Lower-case addresses of the contracts that emitted the receipt's logs. */
  logAddresses: Set<string>;
}

/**
 * The receipts of these hashes, read in JSON-RPC batches (one by one from a node that refuses
 * batches): a tx-update of 10,000 transactions is a hundred round trips, not 10,000. A hash without
 * a receipt, or with a receipt not in a block yet, is absent from the map.
 */
async function readReceipts(env: TxEnvironment, hashes: string[]): Promise<Map<string, MinedReceipt>> {
  const answers = await batchedReads<unknown>(
    nodeClient(env.provider),
    hashes.map((hash) => ({ method: "eth_getTransactionReceipt", params: [hash] })),
  );
  const receipts = new Map<string, MinedReceipt>();
  answers.forEach((answer, index) => {
    if (answer instanceof RpcError) throw answer;
    const receipt = parseReceipt(answer, hashes[index]);
    if (receipt) receipts.set(hashes[index], receipt);
  });
  return receipts;
}

/** Which of these hashes the node knows as a transaction (pooled, or mined since the receipts were read), in JSON-RPC batches. */
async function readPooledHashes(env: TxEnvironment, hashes: string[]): Promise<Set<string>> {
  const answers = await batchedReads<unknown>(
    nodeClient(env.provider),
    hashes.map((hash) => ({ method: "eth_getTransactionByHash", params: [hash] })),
  );
  const known = new Set<string>();
  answers.forEach((answer, index) => {
    if (answer instanceof RpcError) throw answer;
    if (answer !== null && typeof answer !== "object") {
      throw new NodeUnavailableError(`the Ethereum node answered eth_getTransactionByHash for ${hashes[index]} with a malformed transaction`, "no node sends that: check ethereum-node-url");
    }
    if (answer !== null) known.add(hashes[index]);
  });
  return known;
}

const QUANTITY = /^0x[0-9a-fA-F]{1,64}$/;
const HASH = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** A receipt answer checked field by field; undefined for none or one not in a block yet. */
function parseReceipt(answer: unknown, hash: string): MinedReceipt | undefined {
  if (answer === null) return undefined;
  const malformed = (field: string) =>
    new NodeUnavailableError(`the Ethereum node answered eth_getTransactionReceipt for ${hash} with a malformed ${field}`, "no node sends that: check ethereum-node-url");
  if (typeof answer !== "object") throw malformed("receipt");
  const raw = answer as Record<string, unknown>;
  if (raw.blockNumber === null || raw.blockHash === null) return undefined;
  if (typeof raw.blockNumber !== "string" || !QUANTITY.test(raw.blockNumber)) throw malformed("blockNumber");
  if (typeof raw.blockHash !== "string" || !HASH.test(raw.blockHash)) throw malformed("blockHash");
  if (typeof raw.gasUsed !== "string" || !QUANTITY.test(raw.gasUsed)) throw malformed("gasUsed");
  if (typeof raw.status !== "string" || !QUANTITY.test(raw.status)) throw malformed("status");
  const contractAddress = raw.contractAddress ?? null;
  if (!Array.isArray(raw.logs)) throw malformed("logs");
  const logAddresses = new Set<string>();
  for (const log of raw.logs as unknown[]) {
    const address = typeof log === "object" && log !== null ? (log as { address?: unknown }).address : undefined;
    if (typeof address !== "string" || !ADDRESS.test(address)) throw malformed("log address");
    logAddresses.add(address.toLowerCase());
  }
  if (contractAddress !== null && (typeof contractAddress !== "string" || !ADDRESS.test(contractAddress))) throw malformed("contractAddress");
  return {
    hash,
    blockNumber: Number(raw.blockNumber),
    blockHash: raw.blockHash,
    status: Number(raw.status),
    gasUsed: BigInt(raw.gasUsed),
    contractAddress: contractAddress === null ? null : getAddress(contractAddress),
    logAddresses,
  };
}

/** The hash of a block answer (lower case); undefined when the node has no such block. */
function blockHashOf(answer: unknown, block: number): string | undefined {
  if (answer === null) return undefined;
  const hash = typeof answer === "object" ? (answer as { hash?: unknown }).hash : undefined;
  if (typeof hash !== "string" || !HASH.test(hash)) {
    throw new NodeUnavailableError(`the Ethereum node answered eth_getBlockByNumber for block ${block} with a malformed hash`, "no node sends that: check ethereum-node-url");
  }
  return hash.toLowerCase();
}

/** Replays a failed transaction as a call on the state before its block to learn why it reverted. */
async function findRevertReason(env: TxEnvironment, row: PreparedTransaction, receipt: MinedReceipt): Promise<string> {
  const outOfGas = `out of gas (limit ${row.gasLimit})`;
  if (receipt.gasUsed >= BigInt(row.gasLimit)) return outOfGas;
  const replay = (gasLimit: bigint) =>
    env.provider.call({
      from: row.fromAddress,
      to: row.isDeployment ? undefined : row.toAddress,
      data: row.data,
      value: BigInt(row.value),
      gasLimit,
      blockTag: receipt.blockNumber - 1,
    });
  let reason: string;
  try {
    await replay(BigInt(row.gasLimit));
    return "reverted (the reason could not be reproduced)";
  } catch (error) {
    if (isNodeUnavailable(error)) throw error;
    reason = describeRevert(error, env.artifacts);
  }
  // A call inside the transaction may run out of gas while the transaction keeps the 1/64 it held
  // back (a contract created by a constructor: SecurityToken's code extension) and then reverts on
  // its own check ("require(false)"). When the same call succeeds with the block's gas, gas was the
  // cause: say so instead.
  const blockGas = (await env.provider.getBlock(receipt.blockNumber))?.gasLimit;
  if (blockGas === undefined || blockGas <= BigInt(row.gasLimit)) return reason;
  try {
    await replay(blockGas);
  } catch (error) {
    if (isNodeUnavailable(error)) throw error;
    return reason;
  }
  return `${outOfGas}: a call inside it ran out of gas and the transaction reverted; it succeeds with more gas`;
}
