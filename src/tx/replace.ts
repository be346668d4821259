import { nowIso } from "../db/database";
import { ExitCode, StoError } from "../errors";
import { formatEth, nonceTakenError, rejectionAdvice } from "./broadcast";
import type { SigningEnvironment } from "./environment";
import { barrierReached, faultPointReached } from "./faults";
import { bumpedFees, initialFees, networkFees, type Fees, type NetworkFees } from "./fees";
import {
  ledgerOf,
  REPLACEABLE_STATUSES,
  SignatureConflict,
  type PreparedTransaction,
  type SignatureKind,
  type SignedVersion,
  type TransactionSignature,
} from "./ledger";
import { findAccount } from "./nonces";
import { isOneOfOursOnChain, signFields, submitRaw } from "./signatures";
import { InputError } from "../input/fields";

/** Gas of a plain transfer: what the no-op of tx-cancel uses. */
export const TRANSFER_GAS = 21_000n;

export interface ReplaceOptions {
  /** The transaction to replace; without it, tx-bump takes every signed, unmined transaction. */
  nonce?: number;
  /** How much higher each fee cap is than the highest earlier version's (at least 10). */
  feeBumpPercent: number;
  /** A corrected gas limit (tx-bump, with a nonce). */
  gasLimit?: bigint;
  /** Replace with a 0-value transfer to the account itself (tx-cancel). */
  cancel?: boolean;
}

export type ReplaceOutcome =
  /** The node took the new version (it replaced the one in its pool, if any). */
  | "sent"
  /** The node keeps an earlier version (its replacement rule wants a bigger bump). */
  | "older-kept"
  /** One of the transaction's versions was mined before the new one arrived. */
  | "mined-meanwhile"
  /** Not sent: an earlier nonce is not with the node yet; tx-broadcast sends it in order. */
  | "waits-for-earlier";

export interface Replacement {
  row: PreparedTransaction;
  previousHash: string | null;
  hash: string;
  kind: SignatureKind;
  fees: Fees;
  gasLimit: bigint;
  outcome: ReplaceOutcome;
}

export interface ReplaceReport {
  replacements: Replacement[];
  /** Transactions found mined before anything was signed: nothing to replace. */
  alreadyMined: PreparedTransaction[];
}

/**
 * tx-bump and tx-cancel: re-signs transactions with the same nonce — higher fees, optionally a
 * corrected gas limit, or a 0-value transfer to self — and sends the new versions.
 *
 * Safe by construction: every version of a transaction shares its nonce, so at most one of them
 * can ever be mined, and every version is recorded in the ledger as a signature, so tx-update
 * recognises whichever is. Write-ahead as in tx-broadcast: all new versions are committed (and
 * become the versions tx-broadcast resends) before the first is sent.
 */
export async function replaceTransactions(env: SigningEnvironment, options: ReplaceOptions): Promise<ReplaceReport> {
  const account = await findAccount(env);
  const targets = account ? await selectTargets(env, account.id, options) : [];
  if (targets.length === 0) {
    if (options.nonce !== undefined) throw new StoError(noSuchTransaction(env, options.nonce));
    return { replacements: [], alreadyMined: [] };
  }

  const latest = await env.provider.getTransactionCount(env.address, "latest");
  const alreadyMined: PreparedTransaction[] = [];
  const open: PreparedTransaction[] = [];
  for (const row of targets) {
    if (row.nonce >= latest) {
      open.push(row);
      continue;
    }
    if (!(await isOneOfOursOnChain(env, row, false))) throw nonceTakenError(env, row, latest);
    if (options.nonce !== undefined) {
      throw new StoError(`transaction nonce ${row.nonce} ("${row.note}") is already mined: nothing to replace; run tx-update to record its result`);
    }
    alreadyMined.push(row);
  }
  if (open.length === 0) return { replacements: [], alreadyMined };

  const network = await networkFees(env);
  if (options.gasLimit !== undefined && options.gasLimit > network.blockGasLimit) {
    throw new InputError("gasLimit", (field) => `${field("gasLimit")} ${options.gasLimit} is above the block gas limit of ${env.network} (${network.blockGasLimit})`);
  }
  const planned: PlannedVersion[] = [];
  for (const row of open) planned.push(await planVersion(env, row, options, network));
  await barrierReached("before-version-commit");
  await commitVersions(env, planned);
  faultPointReached("after-bump-sign");

  const replacements: Replacement[] = [];
  let nodeNonce = await env.provider.getTransactionCount(env.address, "pending");
  for (const version of planned) {
    if (version.row.nonce > nodeNonce) {
      // A node cannot mine it before the earlier nonces (Hardhat even refuses it outright).
      replacements.push({ ...version, outcome: "waits-for-earlier" });
      continue;
    }
    const outcome = await sendVersion(env, version);
    faultPointReached("after-bump-send");
    if (outcome === "sent" && version.row.nonce === nodeNonce) nodeNonce += 1;
    replacements.push({ ...version, outcome });
  }
  return { replacements, alreadyMined };
}

async function selectTargets(env: SigningEnvironment, accountId: number, options: ReplaceOptions): Promise<PreparedTransaction[]> {
  const ledger = ledgerOf(env.db);
  if (options.nonce === undefined) {
    if (options.cancel) throw new InputError("nonce", (field) => `tx-cancel needs ${field("nonce")}: the transaction to replace by a no-op`);
    if (options.gasLimit !== undefined) throw new InputError("gasLimit", (field) => `${field("gasLimit")} needs ${field("nonce")}: it corrects one transaction`);
    // Every signed transaction not known to be mined: after a long interruption all of them may
    // carry fees the network no longer accepts, not only the first.
    return ledger.transactionsInStatus(accountId, REPLACEABLE_STATUSES, { signed: true });
  }
  const row = await ledger.transactionByNonce(accountId, options.nonce);
  if (!row) return [];
  if (!REPLACEABLE_STATUSES.includes(row.status)) {
    throw new StoError(`transaction nonce ${row.nonce} ("${row.note}") is ${row.status}${row.txHash ? ` (${row.txHash})` : ""}: only a transaction not yet mined can be replaced`);
  }
  if (!row.rawTransaction && !options.cancel) {
    throw new StoError(
      `transaction nonce ${row.nonce} ("${row.note}") is not signed yet: tx-broadcast signs it with the network's current fees${options.gasLimit !== undefined ? "; to send it with another gas limit, cancel it (tx-cancel) and prepare it again" : ""}`,
    );
  }
  return [row];
}

function noSuchTransaction(env: SigningEnvironment, nonce: number): string {
  return `no transaction with nonce ${nonce} of ${env.address} on ${env.network} in database ${env.db.name}`;
}

interface PlannedVersion {
  row: PreparedTransaction;
  previousHash: string | null;
  hash: string;
  raw: string;
  kind: SignatureKind;
  fees: Fees;
  gasLimit: bigint;
}

async function planVersion(env: SigningEnvironment, row: PreparedTransaction, options: ReplaceOptions, network: NetworkFees): Promise<PlannedVersion> {
  const versions = await ledgerOf(env.db).signaturesOf(row.id);
  const current = versions.find((version) => version.txHash === row.txHash);
  // Versions the node refused as invalid were provably never accepted by it and need not be
  // outbid; any other may sit in some node's pool and must be, by the replacement rule.
  const mayBePooled: Pick<TransactionSignature, "gasPrice" | "maxFeePerGas" | "maxPriorityFeePerGas">[] = versions.filter(
    (version) => version.status !== "rejected",
  );
  if (row.rawTransaction && versions.length === 0) {
    // Signed before versions were recorded: the current one may be pooled too.
    mayBePooled.push({ gasPrice: row.gasPrice, maxFeePerGas: row.maxFeePerGas, maxPriorityFeePerGas: row.maxPriorityFeePerGas });
  }
  const cancel = options.cancel === true || current?.kind === "cancel";
  if (cancel && options.gasLimit !== undefined) {
    throw new InputError("gasLimit", (field) => `a cancellation is a plain transfer and always uses 21000 gas: drop ${field("gasLimit")}`);
  }
  let fees: Fees;
  if (mayBePooled.length > 0) {
    fees = bumpedFees(row.txType, mayBePooled, network, options.feeBumpPercent);
  } else if (row.txType === 0) {
    const configured = BigInt(row.gasPrice ?? "0");
    fees = { gasPrice: configured > network.gasPrice ? configured : network.gasPrice };
  } else {
    fees = initialFees(network);
  }
  const gasLimit = cancel ? TRANSFER_GAS : (options.gasLimit ?? BigInt(current?.gasLimit ?? row.gasLimit));
  if (gasLimit < TRANSFER_GAS) throw new InputError("gasLimit", (field) => `${field("gasLimit")} ${gasLimit} is below ${TRANSFER_GAS}, the cost of any transaction`);
  const { raw, hash } = signFields(env.wallet, {
    chainId: row.chainId,
    nonce: row.nonce,
    to: cancel ? env.address : row.isDeployment ? null : row.toAddress,
    data: cancel ? "0x" : row.data,
    value: cancel ? 0n : BigInt(row.value),
    gasLimit,
    type: row.txType,
    ...fees,
  });
  return {
    row,
    previousHash: row.txHash,
    hash,
    raw,
    kind: cancel ? "cancel" : "bump",
    fees,
    gasLimit,
  };
}

/** The write-ahead record: all new versions, in one transaction, before any is sent. */
async function commitVersions(env: SigningEnvironment, planned: PlannedVersion[]): Promise<void> {
  const now = nowIso();
  const versions = planned.map(({ row, hash, raw, fees, gasLimit, kind }): SignedVersion => {
    const feeText = {
      maxFeePerGas: fees.maxFeePerGas?.toString() ?? null,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas?.toString() ?? null,
    };
    return {
      transactionId: row.id,
      nonce: row.nonce,
      // Signed or moved by another process since it was read: nothing is signed.
      expect: { txHash: row.txHash, statuses: [row.status] },
      txHash: hash,
      rawTransaction: raw,
      signedAt: now,
      kind,
      row: {
        gasPrice: row.txType === 0 ? (fees.gasPrice?.toString() ?? row.gasPrice) : row.gasPrice,
        ...feeText,
        // The transaction's gas limit stays its own when a no-op takes the nonce.
        gasLimit: kind === "cancel" ? row.gasLimit : gasLimit.toString(),
      },
      signature: { gasPrice: fees.gasPrice?.toString() ?? null, ...feeText, gasLimit: gasLimit.toString() },
      // Keep the version signed before versions were recorded, so that it is recognised if mined.
      keepEarlier:
        row.rawTransaction && row.txHash && row.signedAt
          ? {
              txHash: row.txHash,
              rawTransaction: row.rawTransaction,
              gasPrice: row.gasPrice,
              maxFeePerGas: row.maxFeePerGas,
              maxPriorityFeePerGas: row.maxPriorityFeePerGas,
              gasLimit: row.gasLimit,
              signedAt: row.signedAt,
            }
          : undefined,
    };
  });
  try {
    await ledgerOf(env.db).recordSignatures(versions);
  } catch (error) {
    if (!(error instanceof SignatureConflict)) throw error;
    throw new StoError(`transaction nonce ${error.nonce} changed meanwhile (another sto process?); nothing was signed: run the command again`);
  }
}

async function sendVersion(env: SigningEnvironment, version: PlannedVersion): Promise<ReplaceOutcome> {
  const row = { ...version.row, txHash: version.hash, rawTransaction: version.raw };
  const result = await submitRaw(env, version.raw);
  if (result.accepted || result.kind === "already-known") {
    await ledgerOf(env.db).clearRejection(row.txHash);
    await ledgerOf(env.db).markBroadcasted([row.id]);
    return "sent";
  }
  switch (result.kind) {
    case "replacement-underpriced":
      return "older-kept";
    case "nonce-too-low":
      if (await isOneOfOursOnChain(env, row, false)) return "mined-meanwhile";
      throw nonceTakenError(env, row);
    case "insufficient-funds": {
      const price = version.fees.gasPrice ?? version.fees.maxFeePerGas ?? 0n;
      const cost = version.gasLimit * price + (version.kind === "cancel" ? 0n : BigInt(row.value));
      throw new StoError(
        `account ${env.address} cannot pay for the new version of transaction nonce ${row.nonce} ("${row.note}"): it may cost up to ${formatEth(cost)} ETH; top the account up and run tx-broadcast (the new version is recorded and will be sent)`,
      );
    }
    case "pool-full":
      // Never a failure: the recorded version goes out with the next tx-broadcast, which waits for room.
      throw new StoError(
        `the node's transaction pool has no room for the new version of transaction nonce ${row.nonce} now (${result.message.slice(0, 160)}); it is recorded: run tx-broadcast to send it once blocks have made room`,
        ExitCode.Network,
      );
    case "transient":
      throw new StoError(
        `the node did not accept the new version of transaction nonce ${row.nonce} (${result.message.slice(0, 160)}); it is recorded: run tx-broadcast to send it`,
        ExitCode.Network,
      );
    default:
      await ledgerOf(env.db).recordRejection(row.txHash, result.message);
      throw new StoError(rejectionAdvice(result.kind, row, result.message));
  }
}
