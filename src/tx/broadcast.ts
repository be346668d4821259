import { NodeUnavailableError, isNodeUnavailable } from "../chain/rpc";
import { nowIso } from "../db/database";
import { ExitCode, StoError, type FieldNamer, type FieldText } from "../errors";
import type { SigningEnvironment, TxEnvironment } from "./environment";
import { barrierReached, faultPointReached } from "./faults";
import { initialFees, networkFees, type Fees } from "./fees";
import { ledgerOf, SENDABLE_STATUSES, SignatureConflict, type PreparedTransaction, type SignedVersion } from "./ledger";
import type { SendErrorKind } from "./node-errors";
import { InFlightGate, type InFlightWait } from "./in-flight";
import { findAccount } from "./nonces";
import { isOneOfOursOnChain, signFields, submitRaw, type SubmitResult } from "./signatures";

export type { Fees } from "./fees";

export interface BroadcastOptions {
  /** Transactions signed and committed (write-ahead) together before any of them is sent. */
  chunkSize?: number;
  /** Called after each transaction is handed to the node. */
  onSent?: (row: PreparedTransaction, done: number, total: number) => void;
  /**
   * At most this many of the account's transactions sent and not mined at any time (0 or
   * undefined: no limit; DEFAULT_MAX_IN_FLIGHT is safe on public nodes). A "pool full" answer of
   * the node lowers it for the rest of the run.
   */
  maxInFlight?: number;
  /** Milliseconds between two looks at the account's mined nonce while waiting (default 1,000). */
  pollMs?: number;
  /** Stop waiting (exit 3, nothing lost) when nothing of the account is mined for this long (default 600 s). */
  stallMs?: number;
  /** Called when sending pauses for the node: the limit is reached, or the node's pool is full. */
  onWait?: (wait: InFlightWait) => void;
}

export interface BroadcastReport {
  /** Rows handed to the node in this run (including resends of the same bytes). */
  sent: PreparedTransaction[];
  /** Rows found already on chain or in the node's pool, recorded without sending anything new. */
  alreadyKnown: number;
  balanceWei: bigint;
}

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
  const ledger = ledgerOf(env.db);
  const account = await findAccount(env);
  if (!account) return { sent: [], alreadyKnown: 0, balanceWei };

  const latest = await env.provider.getTransactionCount(env.address, "latest");
  const pending = await env.provider.getTransactionCount(env.address, "pending");
  const candidates = (await ledger.transactionsInStatus(account.id, SENDABLE_STATUSES))
    // A broadcasted transaction below the node's pending nonce is in its pool or mined: leave it to tx-update.
    .filter((row) => row.status !== "broadcasted" || row.nonce >= pending);
  if (candidates.length === 0) return { sent: [], alreadyKnown: 0, balanceWei };

  let alreadyKnown = 0;
  const toSend: PreparedTransaction[] = [];
  for (const row of candidates) {
    if (row.nonce < latest) {
      // The network has used this nonce: it must be one of our recorded signatures.
      if (await isOneOfOursOnChain(env, row)) {
        await ledger.markBroadcasted([row.id]);
        alreadyKnown += 1;
        continue;
      }
      throw nonceTakenError(env, row, latest);
    }
    toSend.push(row);
  }
  if (toSend.length === 0) return { sent: [], alreadyKnown, balanceWei };
  checkNoGap(env, toSend, pending);

  const gate = new InFlightGate(env, latest, {
    maxInFlight: options.maxInFlight,
    pollMs: options.pollMs ?? 1_000,
    stallMs: options.stallMs ?? 600_000,
    onWait: options.onWait,
  });
  const chunkSize = Math.max(1, options.chunkSize ?? MAX_CHUNK);
  const fees = await currentFees(env);
  const sent: PreparedTransaction[] = [];
  // The first chunk is small so that sending starts at once; each next one is signed while the one
  // before is being sent (below), and twice as large, up to chunkSize.
  let size = Math.min(FIRST_CHUNK, chunkSize);
  let chunk = signRows(env, toSend.slice(0, size), fees);
  await commitChunk(env, [], chunk);
  let start = 0;
  while (chunk.length > 0) {
    const nextStart = start + chunk.length;
    size = Math.min(size * 2, chunkSize);
    const nextRows = toSend.slice(nextStart, nextStart + size);
    // Signing is CPU work (about 1 ms a transaction) and sending mostly waiting for the node, which
    // executes each transaction before it answers: the next chunk is signed, in memory only, in
    // between the answers to this chunk's sends. Nothing of it is sent before it is committed.
    let stopSigning = false;
    const signing = nextRows.length > 0 ? signRowsBetweenSends(env, nextRows, fees, () => stopSigning) : Promise.resolve([]);
    signing.catch(() => undefined);
    const sentIds: number[] = [];
    try {
      for (const row of chunk) {
        await gate.admit(row.nonce);
        let outcome = await sendRaw(env, row);
        // The node's pool is full: not a failure and never a new signature — the same bytes again after a block.
        for (const firstRefusal = Date.now(); typeof outcome === "object"; outcome = await sendRaw(env, row)) {
          await gate.poolFull(row.nonce, outcome.poolFull, firstRefusal);
        }
        faultPointReached("after-send");
        if (outcome === "known") alreadyKnown += 1;
        sentIds.push(row.id);
        sent.push(row);
        options.onSent?.(row, sent.length, toSend.length);
      }
    } catch (error) {
      stopSigning = true;
      // Those handed over before a refusal or a node failure are recorded as sent.
      await commitChunk(env, sentIds, []);
      throw error;
    }
    // One write transaction per chunk: this chunk recorded as broadcasted and the next one's
    // signatures recorded (the write-ahead) before any of it is sent.
    const next = await signing;
    await commitChunk(env, sentIds, next);
    chunk = next;
    start = nextStart;
  }
  return { sent: await ledger.transactionsById(sent.map((row) => row.id)), alreadyKnown, balanceWei };
}

/** Transactions in the first write-ahead chunk; later chunks double up to MAX_CHUNK. */
const FIRST_CHUNK = 16;
/**
 * Largest write-ahead chunk by default: each chunk costs one committed (fsynced) write transaction,
 * and signatures committed but not sent yet are only ever sent again as the same bytes.
 */
const MAX_CHUNK = 256;

/**
 * EIP-1559 fees decided at signing time (not when preparing, which may be days earlier); none
 * when a legacy gas price is forced. Also what tx-export fixes in an unsigned file.
 */
export async function currentFees(env: TxEnvironment): Promise<Fees> {
  if (env.gasPriceWei !== undefined) return {};
  return initialFees(await networkFees(env));
}

/**
 * Signs the rows that have no signature yet, in memory: nothing is recorded or sent here. Rows
 * signed by an earlier run keep their bytes (and are not "fresh").
 */
function signRows(env: TxEnvironment & Partial<SigningEnvironment>, rows: readonly PreparedTransaction[], fees: Fees): SignedRow[] {
  return rows.map((row) => signRow(env, row, fees));
}

/**
 * signRows, yielding to the event loop after each signature so that the answers to the sends in
 * flight are handled at once (each waits for at most one signature). Stops early when asked to;
 * what it signed is then dropped unrecorded.
 */
async function signRowsBetweenSends(
  env: TxEnvironment & Partial<SigningEnvironment>,
  rows: readonly PreparedTransaction[],
  fees: Fees,
  stop: () => boolean,
): Promise<SignedRow[]> {
  const signed: SignedRow[] = [];
  for (const row of rows) {
    if (stop()) break;
    signed.push(signRow(env, row, fees));
    if (signed[signed.length - 1].fresh) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return signed;
}

/** A row to send, signed now (fresh: its signature is not recorded yet) or by an earlier run. */
type SignedRow = PreparedTransaction & { fresh?: boolean };

function signRow(env: TxEnvironment & Partial<SigningEnvironment>, row: PreparedTransaction, fees: Fees): SignedRow {
  if (row.rawTransaction && row.txHash) return row;
  const wallet = env.wallet;
  if (!wallet) {
    throw new StoError(
      `transaction nonce ${row.nonce} ("${row.note}") is not signed and no key is configured: sign it offline (tx-export, tx-sign, tx-import) or give the key`,
    );
  }
  const { raw, hash } = signFields(wallet, {
    chainId: row.chainId,
    nonce: row.nonce,
    to: row.isDeployment ? null : row.toAddress,
    data: row.data,
    value: BigInt(row.value),
    gasLimit: BigInt(row.gasLimit),
    type: row.txType,
    ...(row.txType === 0 ? { gasPrice: BigInt(row.gasPrice ?? "0") } : fees),
  });
  return {
    ...row,
    rawTransaction: raw,
    txHash: hash,
    maxFeePerGas: row.txType === 0 ? null : (fees.maxFeePerGas?.toString() ?? null),
    maxPriorityFeePerGas: row.txType === 0 ? null : (fees.maxPriorityFeePerGas?.toString() ?? null),
    signedAt: nowIso(),
    fresh: true,
  };
}

/**
 * One write transaction: the rows sent are marked broadcasted, and the fresh signatures of the
 * next chunk are committed (the write-ahead record). A row another tx-broadcast signed meanwhile
 * fails the signatures (never two different signatures for one nonce) but not the marks.
 */
async function commitChunk(env: TxEnvironment, sentIds: readonly number[], next: readonly SignedRow[]): Promise<void> {
  const fresh = next.filter((row) => row.fresh);
  if (sentIds.length === 0 && fresh.length === 0) return;
  if (fresh.length > 0) await barrierReached("before-sign-commit");
  try {
    await ledgerOf(env.db).commitBroadcastChunk(sentIds, fresh.map(firstVersion));
  } catch (error) {
    if (!(error instanceof SignatureConflict)) throw error;
    throw new StoError(`transaction nonce ${error.nonce} was signed by another sto process meanwhile; run tx-broadcast again`);
  }
  if (fresh.length > 0) faultPointReached("after-sign");
}

/** The first signature of a row, recorded only over none. */
function firstVersion(row: SignedRow): SignedVersion {
  const fees = { gasPrice: row.gasPrice, maxFeePerGas: row.maxFeePerGas, maxPriorityFeePerGas: row.maxPriorityFeePerGas };
  return {
    transactionId: row.id,
    nonce: row.nonce,
    expect: { txHash: null },
    txHash: row.txHash as string,
    rawTransaction: row.rawTransaction as string,
    signedAt: row.signedAt as string,
    kind: "original",
    row: { ...fees, gasLimit: row.gasLimit },
    signature: { ...fees, gasLimit: row.gasLimit },
  };
}

/**
 * Sends the recorded bytes. "known" when the node already had them or one of the transaction's
 * recorded versions is mined or pooled (a resend after a crash, or after tx-bump). Transient
 * failures are retried by the node connection's transport; when it gives up, the run stops with
 * exit code 3 and the signature kept. "Pool full" is returned for the caller to wait on. A refusal is recorded on the signature and stops the run with
 * what the user can do about it.
 */
async function sendRaw(env: TxEnvironment, row: PreparedTransaction): Promise<"sent" | "known" | { poolFull: string }> {
  let result: SubmitResult;
  try {
    result = await submitRaw(env, row.rawTransaction as string);
  } catch (error) {
    if (!isNodeUnavailable(error)) throw error;
    throw new NodeUnavailableError(
      `${error.message.replace(/; nothing half-done was kept: run the same command again to resume$/, "")}; transaction nonce ${row.nonce} is signed and recorded: run tx-broadcast again to send the same bytes`,
    );
  }
  if (result.accepted) {
    await ledgerOf(env.db).clearRejection(row.txHash as string);
    return "sent";
  }
  const { kind, message } = result;
  if (kind === "already-known") return "known";
  if (kind === "pool-full") return { poolFull: message };
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
  if (kind === "transient") {
    throw new StoError(
      `the node did not accept transaction nonce ${row.nonce} (${message.slice(0, 160)}); its signature is recorded: run tx-broadcast again to resend it`,
      ExitCode.Network,
    );
  }
  await ledgerOf(env.db).recordRejection(row.txHash as string, message);
  throw new StoError(rejectionAdvice(kind, row, message));
}

/** What to do about a transaction the node refused as invalid (docs/stuck-transactions.md). */
export function rejectionAdvice(kind: SendErrorKind, row: Pick<PreparedTransaction, "nonce" | "note">, message: string): FieldText {
  return (name) => rejectionText(kind, row, message, name);
}

function rejectionText(kind: SendErrorKind, row: Pick<PreparedTransaction, "nonce" | "note">, message: string, name: FieldNamer): string {
  const bump = `sto tx-bump ${name("tx-bump:nonce")} ${row.nonce}`;
  const cancel = `sto tx-cancel ${name("tx-cancel:nonce")} ${row.nonce}`;
  const gasLimit = name("tx-bump:gasLimit");
  const head = `the node rejected transaction nonce ${row.nonce} ("${row.note}"): ${message}`;
  if (kind === "gas-limit-invalid") {
    return `${head}. The node never accepted it, so it can be re-signed safely with a gas limit that works: ${bump} ${gasLimit} <gas>; or replace it by a no-op to unblock the later transactions: ${cancel}`;
  }
  if (kind === "fee-too-low") {
    return `${head}. Its fees are below what the network accepts now: re-sign it with higher fees: ${bump}`;
  }
  return `${head}. Its signed bytes are kept and every tx-broadcast sends them again; if the node can never accept it, re-sign it (${bump} [${gasLimit} <gas>]) or replace it by a no-op (${cancel})`;
}

export function nonceTakenError(env: TxEnvironment, row: PreparedTransaction, networkNonce?: number): StoError {
  const network = networkNonce === undefined ? "" : ` (the network's nonce is ${networkNonce})`;
  return new StoError(
    (name) =>
      `nonce ${row.nonce} of ${env.address} was used on ${env.network} by a transaction this database did not prepare${network}: another wallet or an older copy of the database is using this account. Nothing was sent. Check the account on a block explorer; if those transactions are intended, move to a new ${name("databaseFile")} and run tx-restart-nonce`,
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
    (name) =>
      `the node's next nonce for ${env.address} is ${pending}, but the next transaction in the database has nonce ${first.nonce}: transactions recorded as sent (nonces ${pending}..${first.nonce - 1}) are unknown to the node (a restarted local chain or another database?). Nothing was sent; use a new ${name("databaseFile")}, or tx-restart-nonce on an empty one`,
    ExitCode.StateMismatch,
  );
}

export function formatEth(wei: bigint): string {
  const whole = wei / 10n ** 18n;
  const fraction = (wei % 10n ** 18n).toString().padStart(18, "0").slice(0, 6).replace(/0+$/, "");
  return fraction ? `${whole}.${fraction}` : whole.toString();
}

