import { Transaction } from "ethers";
import { nowIso } from "../db/database";
import { ExitCode, StoError } from "../errors";
import type { TxEnvironment } from "../tx/environment";
import { ledgerOf, SignatureConflict, type PreparedTransaction, type SignedVersion } from "../tx/ledger";
import { findAccount } from "../tx/nonces";
import type { SignedFile, UnsignedFile } from "./files";

export interface ExportFees {
  /** Legacy price (when prepared with --ethereum-gas-price it is already fixed). */
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

/** The account's transactions that still need a signature, in nonce order. */
export async function unsignedTransactions(env: TxEnvironment): Promise<PreparedTransaction[]> {
  const account = await findAccount(env);
  if (!account) return [];
  return ledgerOf(env.db).unsignedTransactions(account.id);
}

/**
 * The unsigned transactions for an offline signer. EIP-1559 fees must be fixed now, because the
 * offline machine cannot ask a node; they are written into the file and checked again on import.
 */
export function buildUnsignedFile(env: TxEnvironment, rows: PreparedTransaction[], fees: ExportFees): UnsignedFile {
  return {
    format: "sto-unsigned-transactions",
    version: 1,
    network: env.network,
    chainId: env.chainId,
    from: env.address,
    exportedAt: new Date().toISOString(),
    transactions: rows.map((row) => ({
      id: row.id,
      nonce: row.nonce,
      to: row.isDeployment ? null : row.toAddress,
      data: row.data,
      value: row.value,
      gasLimit: row.gasLimit,
      type: row.txType === 0 ? 0 : 2,
      ...(row.txType === 0
        ? { gasPrice: row.gasPrice ?? "0" }
        : { maxFeePerGas: fees.maxFeePerGas.toString(), maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString() }),
      note: row.note,
    })),
  };
}

export interface ImportReport {
  imported: PreparedTransaction[];
  /** Entries whose exact bytes were already recorded (a repeated import). */
  unchanged: number;
}

/**
 * Records signatures made offline, after checking each one is exactly the transaction prepared:
 * same chain id, signer, nonce, receiver, data, value and gas limit. The result is the same
 * write-ahead state tx-broadcast creates when it signs, so tx-broadcast sends them next.
 */
export async function importSignedFile(env: TxEnvironment, file: SignedFile, origin: string): Promise<ImportReport> {
  if (file.chainId !== env.chainId) {
    throw new StoError(`${origin}: signed for chain id ${file.chainId}, but the node is on chain id ${env.chainId}`, ExitCode.StateMismatch);
  }
  const ids = file.transactions.map((entry) => entry.id);
  const ledger = ledgerOf(env.db);
  const rows = new Map((await ledger.transactionsById(ids)).map((row) => [row.id, row]));
  const accepted: { row: PreparedTransaction; transaction: Transaction; raw: string }[] = [];
  let unchanged = 0;
  file.transactions.forEach((entry, index) => {
    const where = `${origin}: transactions[${index}] (nonce ${entry.nonce})`;
    let transaction: Transaction;
    try {
      transaction = Transaction.from(entry.raw);
    } catch {
      throw new StoError(`${where}: not a valid signed transaction`);
    }
    const row = rows.get(entry.id);
    if (!row) throw new StoError(`${where}: no prepared transaction ${entry.id} in ${env.db.name}`);
    const mismatch = compareWithPrepared(row, transaction, env);
    if (mismatch) throw new StoError(`${where}: the signed transaction is not the one prepared (${mismatch})`);
    if (row.rawTransaction !== null) {
      if (row.rawTransaction === transaction.serialized) {
        unchanged += 1;
        return;
      }
      throw new StoError(`${where}: already has another signature; a nonce never gets two different transactions`);
    }
    if (row.status !== "waiting") throw new StoError(`${where}: status is ${row.status}, not waiting`);
    accepted.push({ row, transaction, raw: transaction.serialized });
  });

  const now = nowIso();
  const versions = accepted.map(({ row, transaction, raw }): SignedVersion => {
    const fees = {
      maxFeePerGas: transaction.maxFeePerGas?.toString() ?? null,
      maxPriorityFeePerGas: transaction.maxPriorityFeePerGas?.toString() ?? null,
    };
    const gasPrice = transaction.gasPrice?.toString() ?? null;
    return {
      transactionId: row.id,
      nonce: row.nonce,
      expect: { txHash: null, statuses: ["waiting"] },
      txHash: transaction.hash as string,
      rawTransaction: raw,
      signedAt: now,
      kind: "original",
      row: { gasPrice: row.gasPrice ?? gasPrice, ...fees, gasLimit: row.gasLimit },
      signature: { gasPrice, ...fees, gasLimit: null },
    };
  });
  try {
    await ledger.recordSignatures(versions);
  } catch (error) {
    if (!(error instanceof SignatureConflict)) throw error;
    throw new StoError(`transaction nonce ${error.nonce} changed while importing; nothing imported, try again`);
  }
  const stored = new Map((await ledger.transactionsById(accepted.map(({ row }) => row.id))).map((row) => [row.id, row]));
  const imported = accepted.map(({ row }) => stored.get(row.id) as PreparedTransaction);
  return { imported, unchanged };
}

function compareWithPrepared(row: PreparedTransaction, transaction: Transaction, env: TxEnvironment): string | undefined {
  if (transaction.chainId !== BigInt(env.chainId)) return `chain id ${transaction.chainId}`;
  if (transaction.from !== row.fromAddress || row.fromAddress !== env.address) return `signed by ${transaction.from}, prepared for ${row.fromAddress}`;
  if (transaction.nonce !== row.nonce) return `nonce ${transaction.nonce} instead of ${row.nonce}`;
  const expectedTo = row.isDeployment ? null : row.toAddress;
  if ((transaction.to ?? null) !== expectedTo) return `receiver ${transaction.to} instead of ${expectedTo}`;
  if (transaction.data.toLowerCase() !== row.data.toLowerCase()) return "different call data";
  if (transaction.value !== BigInt(row.value)) return `value ${transaction.value} instead of ${row.value}`;
  if (transaction.gasLimit !== BigInt(row.gasLimit)) return `gas limit ${transaction.gasLimit} instead of ${row.gasLimit}`;
  if (row.txType === 0 && transaction.gasPrice !== BigInt(row.gasPrice ?? "0")) return "different gas price";
  return undefined;
}
