import { and, asc, eq, inArray } from "drizzle-orm";
import { Transaction, type TransactionLike } from "ethers";
import { nowIso } from "../db/database";
import { preparedTransactions, transactionSignatures, type PreparedTransaction } from "../db/schema";
import { ExitCode, StoError } from "../errors";
import { findAccount } from "./accounts";
import type { SigningEnvironment, TxEnvironment } from "./environment";
import { faultPointReached } from "./faults";
import { classifySendError, errorText } from "./node-errors";

export interface BroadcastOptions {
  /** Transactions signed and committed (write-ahead) together before any of them is sent. */
  chunkSize?: number;
  /** Called after each transaction is handed to the node. */
  onSent?: (row: PreparedTransaction, done: number, total: number) => void;
}

export interface BroadcastReport {
  /** Rows handed to the node in this run (including resends of the same bytes). */
  sent: PreparedTransaction[];
  /** Rows found already on chain or in the node's pool, recorded without sending anything new. */
  alreadyKnown: number;
  balanceWei: bigint;
}

/** Statuses of transactions that tx-broadcast may (re)send. */
const SENDABLE = ["waiting", "dropped"] as const;

/**
 * Signs and sends the account's waiting transactions in nonce order.
 *
 * Write-ahead: a chunk of transactions is signed and its raw bytes and hashes committed before any
 * of them is sent. After a crash at any instant, a re-run sends the same bytes again — never a new
 * signature for a nonce that already has one — and resolves "already known" / "nonce too low"
 * answers by looking the recorded hashes up.
 */
export async function broadcastPending(
  env: TxEnvironment & Partial<SigningEnvironment>,
  options: BroadcastOptions = {},
): Promise<BroadcastReport> {
  const balanceWei = await env.provider.getBalance(env.address);
  const account = findAccount(env.db, env.network, env.chainId, env.address);
  if (!account) return { sent: [], alreadyKnown: 0, balanceWei };

  const latest = await env.provider.getTransactionCount(env.address, "latest");
  const pending = await env.provider.getTransactionCount(env.address, "pending");
  const candidates = env.db.orm
    .select()
    .from(preparedTransactions)
    .where(and(eq(preparedTransactions.accountId, account.id), inArray(preparedTransactions.status, ["waiting", "dropped", "broadcasted"])))
    .orderBy(asc(preparedTransactions.nonce))
    .all()
    // A broadcasted transaction below the node's pending nonce is in its pool or mined: leave it to tx-update.
    .filter((row) => row.status !== "broadcasted" || row.nonce >= pending);
  if (candidates.length === 0) return { sent: [], alreadyKnown: 0, balanceWei };

  let alreadyKnown = 0;
  const toSend: PreparedTransaction[] = [];
  for (const row of candidates) {
    if (row.nonce < latest) {
      // The network has used this nonce: it must be one of our recorded signatures.
      if (await isOneOfOursOnChain(env, row)) {
        markBroadcasted(env, [row.id]);
        alreadyKnown += 1;
        continue;
      }
      throw nonceTakenError(env, row, latest);
    }
    toSend.push(row);
  }
  if (toSend.length === 0) return { sent: [], alreadyKnown, balanceWei };
  checkNoGap(env, toSend, pending);

  const chunkSize = options.chunkSize ?? 100;
  const fees = await currentFees(env);
  const sent: PreparedTransaction[] = [];
  for (let start = 0; start < toSend.length; start += chunkSize) {
    const chunk = signChunk(env, toSend.slice(start, start + chunkSize), fees);
    const sentIds: number[] = [];
    for (const row of chunk) {
      const outcome = await sendRaw(env, row);
      faultPointReached("after-send");
      if (outcome === "known") alreadyKnown += 1;
      sentIds.push(row.id);
      sent.push(row);
      options.onSent?.(row, sent.length, toSend.length);
    }
    markBroadcasted(env, sentIds);
  }
  return { sent: reload(env, sent.map((row) => row.id)), alreadyKnown, balanceWei };
}

export interface Fees {
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
}

/** EIP-1559 fees decided at signing time (not when preparing, which may be days earlier). */
export async function currentFees(env: TxEnvironment): Promise<Fees> {
  if (env.gasPriceWei !== undefined) return {};
  const block = await env.provider.getBlock("latest");
  const baseFee = block?.baseFeePerGas ?? 0n;
  let priority: bigint;
  try {
    priority = BigInt(await env.provider.send("eth_maxPriorityFeePerGas", []));
  } catch {
    priority = 1_000_000_000n;
  }
  // Twice the base fee survives six full blocks of base fee increases.
  return { maxFeePerGas: baseFee * 2n + priority, maxPriorityFeePerGas: priority };
}

/**
 * Signs the rows that have no signature yet and commits all of them in one write transaction:
 * the write-ahead record. Rows signed by an earlier run keep their bytes.
 */
function signChunk(env: TxEnvironment & Partial<SigningEnvironment>, rows: PreparedTransaction[], fees: Fees): PreparedTransaction[] {
  const wallet = env.wallet;
  const signed = rows.map((row) => {
    if (row.rawTransaction && row.txHash) return row;
    if (!wallet) {
      throw new StoError(
        `transaction nonce ${row.nonce} ("${row.note}") is not signed and no key is configured: sign it offline (tx-export, tx-sign, tx-import) or give the key`,
      );
    }
    const unsigned: TransactionLike = {
      type: row.txType,
      chainId: BigInt(row.chainId),
      nonce: row.nonce,
      to: row.isDeployment ? null : row.toAddress,
      data: row.data,
      value: BigInt(row.value),
      gasLimit: BigInt(row.gasLimit),
    };
    if (row.txType === 0) {
      unsigned.gasPrice = BigInt(row.gasPrice ?? "0");
    } else {
      unsigned.maxFeePerGas = fees.maxFeePerGas;
      unsigned.maxPriorityFeePerGas = fees.maxPriorityFeePerGas;
    }
    const transaction = Transaction.from(unsigned);
    transaction.signature = wallet.signingKey.sign(transaction.unsignedHash);
    return {
      ...row,
      rawTransaction: transaction.serialized,
      txHash: transaction.hash as string,
      maxFeePerGas: row.txType === 0 ? null : (fees.maxFeePerGas?.toString() ?? null),
      maxPriorityFeePerGas: row.txType === 0 ? null : (fees.maxPriorityFeePerGas?.toString() ?? null),
      signedAt: nowIso(),
    };
  });
  const fresh = signed.filter((row, index) => row !== rows[index]);
  if (fresh.length > 0) {
    env.db.writeTransaction(() => {
      const update = env.db.sqlite.prepare(
        "UPDATE prepared_transactions SET raw_transaction = ?, tx_hash = ?, max_fee_per_gas = ?, max_priority_fee_per_gas = ?, signed_at = ? WHERE id = ? AND raw_transaction IS NULL",
      );
      for (const row of fresh) {
        const changes = update.run(row.rawTransaction, row.txHash, row.maxFeePerGas, row.maxPriorityFeePerGas, row.signedAt, row.id).changes;
        if (changes !== 1) {
          // Another tx-broadcast signed it first; never keep two different signatures for one nonce.
          throw new StoError(`transaction nonce ${row.nonce} was signed by another sto process meanwhile; run tx-broadcast again`);
        }
        env.db.orm
          .insert(transactionSignatures)
          .values({
            transactionId: row.id,
            txHash: row.txHash as string,
            rawTransaction: row.rawTransaction as string,
            gasPrice: row.gasPrice,
            maxFeePerGas: row.maxFeePerGas,
            maxPriorityFeePerGas: row.maxPriorityFeePerGas,
            signedAt: row.signedAt as string,
          })
          .run();
      }
    });
    faultPointReached("after-sign");
  }
  return signed;
}

/** Sends recorded bytes. "known" when the node already had them (a resend after a crash). */
async function sendRaw(env: TxEnvironment, row: PreparedTransaction): Promise<"sent" | "known"> {
  for (let attempt = 1; ; attempt++) {
    try {
      await env.provider.send("eth_sendRawTransaction", [row.rawTransaction]);
      return "sent";
    } catch (error) {
      const kind = classifySendError(error);
      if (kind === "already-known") return "known";
      if (kind === "nonce-too-low" || kind === "replacement-underpriced") {
        if (await isOneOfOursOnChain(env, row, kind === "replacement-underpriced")) return "known";
        throw nonceTakenError(env, row);
      }
      if (kind === "insufficient-funds") {
        const cost = BigInt(row.gasLimit) * BigInt(row.maxFeePerGas ?? row.gasPrice ?? "0") + BigInt(row.value);
        throw new StoError(
          `account ${env.address} cannot pay for transaction nonce ${row.nonce} ("${row.note}"): it may cost up to ${formatEth(cost)} ETH; top the account up and run tx-broadcast again (the same signed transaction will be sent)`,
        );
      }
      if (kind === "transient" && attempt < 5) {
        env.debug?.(`sending nonce ${row.nonce} failed (${errorText(error).slice(0, 120)}); retrying`);
        await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
        continue;
      }
      if (kind === "transient") {
        throw new StoError(
          `the node did not accept transaction nonce ${row.nonce} (${errorText(error).slice(0, 160)}); its signature is recorded: run tx-broadcast again to resend it`,
          ExitCode.Network,
        );
      }
      throw new StoError(`the node rejected transaction nonce ${row.nonce} ("${row.note}"): ${errorText(error).slice(0, 200)}`);
    }
  }
}

/** Whether any recorded signature of this transaction is mined (or, optionally, in the node's pool). */
async function isOneOfOursOnChain(env: TxEnvironment, row: PreparedTransaction, includePool = true): Promise<boolean> {
  const hashes = env.db.orm
    .select({ hash: transactionSignatures.txHash })
    .from(transactionSignatures)
    .where(eq(transactionSignatures.transactionId, row.id))
    .all()
    .map((entry) => entry.hash);
  if (row.txHash && !hashes.includes(row.txHash)) hashes.push(row.txHash);
  for (const hash of hashes) {
    if (await env.provider.getTransactionReceipt(hash)) return true;
    if (includePool && (await env.provider.getTransaction(hash))) return true;
  }
  return false;
}

function nonceTakenError(env: TxEnvironment, row: PreparedTransaction, networkNonce?: number): StoError {
  const network = networkNonce === undefined ? "" : ` (the network's nonce is ${networkNonce})`;
  return new StoError(
    `nonce ${row.nonce} of ${env.address} was used on ${env.network} by a transaction this database did not prepare${network}: another wallet or an older copy of the database is using this account. Nothing was sent. Check the account on a block explorer; if those transactions are intended, move to a new --database-file and run tx-restart-nonce`,
    ExitCode.StateMismatch,
  );
}

/**
 * The node must be able to mine the first transaction we send: its nonce cannot be above the
 * node's next nonce. A gap means transactions the database records as sent are unknown to the
 * node — typically a local chain that was restarted, or a database restored from an old backup.
 */
function checkNoGap(env: TxEnvironment, toSend: PreparedTransaction[], pending: number): void {
  const first = toSend[0];
  if (first.nonce <= pending) return;
  throw new StoError(
    `the node's next nonce for ${env.address} is ${pending}, but the next transaction in the database has nonce ${first.nonce}: transactions recorded as sent (nonces ${pending}..${first.nonce - 1}) are unknown to the node (a restarted local chain or another database?). Nothing was sent; use a new --database-file, or tx-restart-nonce on an empty one`,
    ExitCode.StateMismatch,
  );
}

function markBroadcasted(env: TxEnvironment, ids: number[]): void {
  if (ids.length === 0) return;
  env.db.writeTransaction(() => {
    const update = env.db.sqlite.prepare(
      "UPDATE prepared_transactions SET status = 'broadcasted', broadcast_at = COALESCE(broadcast_at, ?) WHERE id = ? AND status IN ('waiting','dropped','broadcasted')",
    );
    const now = nowIso();
    for (const id of ids) update.run(now, id);
  });
}

function reload(env: TxEnvironment, ids: number[]): PreparedTransaction[] {
  const rows: PreparedTransaction[] = [];
  for (let start = 0; start < ids.length; start += 500) {
    rows.push(
      ...env.db.orm
        .select()
        .from(preparedTransactions)
        .where(inArray(preparedTransactions.id, ids.slice(start, start + 500)))
        .orderBy(asc(preparedTransactions.nonce))
        .all(),
    );
  }
  return rows;
}

export function formatEth(wei: bigint): string {
  const whole = wei / 10n ** 18n;
  const fraction = (wei % 10n ** 18n).toString().padStart(18, "0").slice(0, 6).replace(/0+$/, "");
  return fraction ? `${whole}.${fraction}` : whole.toString();
}

export { SENDABLE };
