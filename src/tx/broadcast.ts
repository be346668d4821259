import { isUnanswered } from "../chain/batched";
import { orderedBatchClient } from "../chain/provider";
import { BatchUnsupportedError, NodeUnavailableError, RpcError, isNodeUnavailable, oneLine, type NodeClient } from "../chain/rpc";
import { nowIso } from "../db/database";
import { ExitCode, StoError, type FieldNamer, type FieldText } from "../errors";
import type { SigningEnvironment, TxEnvironment } from "./environment";
import { barrierReached, faultPointReached } from "./faults";
import { broadcastFees, initialFees, networkFees, type Fees } from "./fees";
import { ledgerOf, SENDABLE_STATUSES, SignatureConflict, type PreparedTransaction, type SignedVersion } from "./ledger";
import { classifySendError, type SendErrorKind } from "./node-errors";
import { InFlightGate, type InFlightWait } from "./in-flight";
import { findAccount } from "./nonces";
import { isOneOfOursOnChain, signFields, submitRaw, type SubmitResult } from "./signatures";

export type { Fees } from "./fees";

export interface BroadcastOptions {
  /** Transactions signed and committed (write-ahead) together before any of them is sent. */
  chunkSize?: number;
  /**
   * Signed transactions handed to the node in one JSON-RPC batch, at most (default SEND_BATCH; 1:
   * one request per transaction). Fewer when the node answers only part of a batch; one at a time
   * for the rest of the run when it refuses batches.
   */
  sendBatch?: number;
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
  const batching = await batchingClient(env, options.sendBatch ?? SEND_BATCH);
  const sender: Sender = { node: batching, perBatch: batching ? Math.max(1, options.sendBatch ?? SEND_BATCH) : 1 };
  const fees = await signingFees(env, toSend, options.maxInFlight, balanceWei);
  const sent: PreparedTransaction[] = [];
  // The first chunk is small so that sending starts at once; each next one is signed while the one
  // before is being sent (below), and twice as large, up to chunkSize.
  let size = Math.min(FIRST_CHUNK, chunkSize);
  let chunk = signRows(env, toSend.slice(0, size), fees.slice(0, size));
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
    const signing = nextRows.length > 0 ? signRowsBetweenSends(env, nextRows, fees.slice(nextStart, nextStart + size), () => stopSigning) : Promise.resolve([]);
    signing.catch(() => undefined);
    const sentIds: number[] = [];
    try {
      await sendChunk(env, chunk, gate, sender, (row, known) => {
        faultPointReached("after-send");
        if (known) alreadyKnown += 1;
        sentIds.push(row.id);
        sent.push(row);
        options.onSent?.(row, sent.length, toSend.length);
      });
    } catch (error) {
      stopSigning = true;
      // Those handed over before a refusal or a node failure are recorded as sent.
      await commitChunk(env, sentIds, []);
      throw error;
    }
    // One write transaction per chunk: this chunk recorded as broadcasted and the next one's
    // signatures recorded (the write-ahead) before any of it is sent.
    let next: SignedRow[];
    try {
      next = await signing;
    } catch (error) {
      // Signing failed (no key for a row, say): this chunk was sent all the same, and is recorded so.
      await commitChunk(env, sentIds, []);
      throw error;
    }
    await commitChunk(env, sentIds, next);
    chunk = next;
    start = nextStart;
  }
  return { sent: await ledger.transactionsById(sent.map((row) => row.id)), alreadyKnown, balanceWei };
}

/**
 * Signed transactions in one JSON-RPC batch of eth_sendRawTransaction: one round trip to the node
 * instead of a hundred (500 sends to anvil: 4.7 s one by one, 0.56 s in batches of 50).
 */
export const SEND_BATCH = 100;

/** How this run hands transactions to the node: in batches of perBatch while the node takes them. */
interface Sender {
  /** The transport, when requests can reach the node in order as batches; undefined: one at a time. */
  node?: NodeClient;
  perBatch: number;
}

/**
 * The node's answer to one send of a batch, or none: the batch was refused or the answer left it
 * out, or (outOfOrder) the node handled it before the send of the nonce before it.
 */
type SendAnswer = SubmitResult | { unanswered: true; outOfOrder?: boolean; message?: string };

/** Hardhat's answer to a nonce above the next one while it mines each transaction as it comes. */
const NONCE_TOO_HIGH = /nonce too high/i;

/**
 * Hands a chunk's recorded bytes to the node in nonce order, in JSON-RPC batches of the
 * transactions the in-flight limit admits, and calls `handed` for each the node took (or already
 * had) in nonce order. Each send's answer is read as a single send's: "pool full" waits for the
 * next block and sends the same bytes again (the transactions after it in the batch that the node
 * took stay taken); a send the batch answer leaves out, or refuses as part of a batch too large,
 * is sent again in a smaller batch (the same bytes: the node answers "already known" if it had
 * it); a refusal stops the run after every send the node took is handed.
 */
async function sendChunk(
  env: TxEnvironment,
  rows: readonly PreparedTransaction[],
  gate: InFlightGate,
  sender: Sender,
  handed: (row: PreparedTransaction, known: boolean) => void,
): Promise<void> {
  let pending = [...rows];
  const firstRefusal = new Map<number, number>();
  let retryAtOnce = false;
  while (pending.length > 0) {
    // After a pool-full wait the refused transaction goes again at once, as a single send always
    // did; the limit decides which others go with it.
    if (!retryAtOnce) await gate.admit(pending[0].nonce);
    retryAtOnce = false;
    let count = 1;
    while (count < pending.length && count < sender.perBatch && gate.allows(pending[count].nonce)) count += 1;
    const batch = pending.slice(0, count);
    const answers = await sendRows(env, sender, batch);
    const left: PreparedTransaction[] = [];
    let failure: { error: unknown } | undefined;
    let poolFull: { nonce: number; message: string } | undefined;
    let unanswered = 0;
    for (const [index, row] of batch.entries()) {
      const answer = answers[index];
      if ("unanswered" in answer) {
        unanswered += 1;
        left.push(row);
        if (answer.outOfOrder && sender.perBatch > 1) {
          // Hardhat's node handles a batch's requests at once, in no set order, and, mining each
          // transaction as it comes, refuses a nonce whose predecessor it has not seen yet.
          sender.perBatch = 1;
          env.debug?.(`the node handled a batch of transactions out of nonce order ("${answer.message}"): sending one at a time`);
        }
        continue;
      }
      if (!answer.accepted && answer.kind === "pool-full") {
        poolFull ??= { nonce: row.nonce, message: answer.message };
        if (!firstRefusal.has(row.nonce)) firstRefusal.set(row.nonce, Date.now());
        left.push(row);
        continue;
      }
      let outcome: "sent" | "known";
      try {
        outcome = await readAnswer(env, row, answer);
      } catch (error) {
        failure ??= { error };
        continue;
      }
      handed(row, outcome === "known");
    }
    // Every send the node took is handed (and recorded by the caller) before a refusal stops the run.
    if (failure) throw failure.error;
    pending = [...left, ...pending.slice(count)];
    if (unanswered > 0) {
      // The node took fewer than were sent: as many as it answered, or half as many.
      const answered = count - unanswered;
      sender.perBatch = Math.max(1, Math.min(sender.perBatch, answered > 0 ? answered : Math.floor(count / 2)));
      env.debug?.(`the node answered ${answered} of a batch of ${count} transactions; sending the other ${unanswered} again (the same bytes), at most ${sender.perBatch} a batch`);
    }
    if (poolFull) {
      // The node's pool is full: not a failure and never a new signature — the same bytes again after a block.
      await gate.poolFull(poolFull.nonce, poolFull.message, firstRefusal.get(poolFull.nonce) as number);
      retryAtOnce = pending[0]?.nonce === poolFull.nonce;
    }
  }
}

/**
 * The transport to send batches through, or undefined to send one at a time: with a plain ethers
 * provider (whose "batches" are separate requests at once), when asked for batches of 1, and to
 * Hardhat's node mining each transaction as it comes (automine, `sto node`): it answers a batch's
 * requests all at once (Promise.all), out of nonce order, and refuses a nonce whose predecessor it
 * has not mined yet — a batch would only be sent again one by one. Another node doing the same is
 * met by the "nonce too high" fallback in sendChunk.
 */
async function batchingClient(env: TxEnvironment, perBatch: number): Promise<NodeClient | undefined> {
  const node = orderedBatchClient(env.provider);
  if (!node || perBatch <= 1) return undefined;
  let client: unknown;
  try {
    client = await node.call<unknown>("web3_clientVersion", []);
  } catch (error) {
    if (error instanceof RpcError) return node;
    throw error;
  }
  if (typeof client !== "string" || !/^hardhat/i.test(client)) return node;
  try {
    return (await node.call<unknown>("hardhat_getAutomine", [])) === false ? node : undefined;
  } catch (error) {
    if (error instanceof RpcError) return undefined;
    throw error;
  }
}

/**
 * Sends these rows' recorded bytes: one eth_sendRawTransaction alone, or several as one JSON-RPC
 * batch. A node that refuses batches gets one at a time from then on (its sends come back
 * unanswered, to be sent again alone). Transient failures are retried by the transport (a batch as
 * a whole: the same bytes); when it gives up, the run stops with exit code 3, the signatures kept.
 */
async function sendRows(env: TxEnvironment, sender: Sender, rows: readonly PreparedTransaction[]): Promise<SendAnswer[]> {
  if (rows.length === 1 || !sender.node) return [await sendRaw(env, rows[0])];
  let answers: (string | RpcError)[];
  try {
    answers = await sender.node.batch<string>(rows.map((row) => ({ method: "eth_sendRawTransaction", params: [row.rawTransaction as string] })));
  } catch (error) {
    if (error instanceof BatchUnsupportedError) {
      sender.perBatch = 1;
      env.debug?.(`${error.message}: sending one transaction at a time`);
      return rows.map(() => ({ unanswered: true }));
    }
    if (!isNodeUnavailable(error)) throw error;
    throw new NodeUnavailableError(
      `${withoutResumeAdvice(error.message)}; transactions nonce ${rows[0].nonce} to ${rows[rows.length - 1].nonce} are signed and recorded: run tx-broadcast again to send the same bytes`,
    );
  }
  return answers.map((answer): SendAnswer => {
    if (!(answer instanceof RpcError)) return { accepted: true };
    if (isUnanswered(answer)) return { unanswered: true };
    // Inside a batch, "nonce too high" means the node took a later send before the one before it:
    // it is sent again alone, in order (alone, the answer is a refusal, as always).
    if (NONCE_TOO_HIGH.test(answer.rpcMessage)) return { unanswered: true, outOfOrder: true, message: oneLine(answer.rpcMessage).slice(0, 160) };
    return { accepted: false, kind: classifySendError(answer), message: oneLine(answer.rpcMessage).slice(0, 240) };
  });
}

function withoutResumeAdvice(message: string): string {
  return message.replace(/; nothing half-done was kept: run the same command again to resume$/, "");
}

/** Transactions in the first write-ahead chunk; later chunks double up to MAX_CHUNK. */
const FIRST_CHUNK = 16;
/**
 * Largest write-ahead chunk by default: each chunk costs one committed (fsynced) write transaction,
 * and signatures committed but not sent yet are only ever sent again as the same bytes.
 */
const MAX_CHUNK = 256;

/**
 * EIP-1559 fees decided at signing time (not when preparing, which may be days earlier) for the
 * rows of type 2 among `rows`; none when every one is legacy (type 0 carries its own gas price).
 * A gas price forced now does not make an EIP-1559 row legacy: it is signed with these fees, never
 * with none. Also what tx-export fixes in an unsigned file.
 */
export async function currentFees(env: TxEnvironment, rows: readonly Pick<PreparedTransaction, "txType">[]): Promise<Fees> {
  if (rows.every((row) => row.txType === 0)) return {};
  return initialFees(await networkFees(env));
}

/**
 * The fees of a fresh signature of each row to send (broadcastFees: the default cap raised for the
 * blocks the broadcast's earlier transactions can fill, as far as the balance pays); none when
 * every row is a legacy transaction (signed with its own gas price).
 */
async function signingFees(env: TxEnvironment, rows: readonly PreparedTransaction[], maxInFlight: number | undefined, balanceWei: bigint): Promise<Fees[]> {
  if (rows.every((row) => row.txType === 0)) return rows.map(() => ({}));
  const network = await networkFees(env);
  const decided = broadcastFees(
    network,
    rows.map((row) => ({
      gasLimit: BigInt(row.gasLimit),
      value: BigInt(row.value),
      // Signed by an earlier run, or legacy (its own gas price): the cap it has.
      ...(row.rawTransaction && row.txHash ? { signedCap: BigInt(row.maxFeePerGas ?? row.gasPrice ?? "0") } : row.txType === 0 ? { signedCap: BigInt(row.gasPrice ?? "0") } : {}),
    })),
    { maxInFlight, balanceWei },
  );
  if (decided.blocks > 0 || decided.limitedByBalance) {
    env.debug?.(
      `fee caps allow for ${decided.blocks} full block(s) of this broadcast's own transactions${decided.limitedByBalance ? " (fewer than it may fill: the balance pays for no more)" : ""}`,
    );
  }
  return decided.fees;
}

/**
 * Signs the rows that have no signature yet, in memory, each with its fees: nothing is recorded
 * or sent here. Rows signed by an earlier run keep their bytes (and are not "fresh").
 */
function signRows(env: TxEnvironment & Partial<SigningEnvironment>, rows: readonly PreparedTransaction[], fees: readonly Fees[]): SignedRow[] {
  return rows.map((row, index) => signRow(env, row, fees[index]));
}

/**
 * signRows, yielding to the event loop after each signature so that the answers to the sends in
 * flight are handled at once (each waits for at most one signature). Stops early when asked to;
 * what it signed is then dropped unrecorded.
 */
async function signRowsBetweenSends(
  env: TxEnvironment & Partial<SigningEnvironment>,
  rows: readonly PreparedTransaction[],
  fees: readonly Fees[],
  stop: () => boolean,
): Promise<SignedRow[]> {
  const signed: SignedRow[] = [];
  for (const [index, row] of rows.entries()) {
    if (stop()) break;
    signed.push(signRow(env, row, fees[index]));
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
 * Sends one transaction's recorded bytes alone; the node's answer, for readAnswer. Transient
 * failures are retried by the node connection's transport; when it gives up, the run stops with
 * exit code 3 and the signature kept.
 */
async function sendRaw(env: TxEnvironment, row: PreparedTransaction): Promise<SubmitResult> {
  try {
    return await submitRaw(env, row.rawTransaction as string);
  } catch (error) {
    if (!isNodeUnavailable(error)) throw error;
    throw new NodeUnavailableError(
      `${withoutResumeAdvice(error.message)}; transaction nonce ${row.nonce} is signed and recorded: run tx-broadcast again to send the same bytes`,
    );
  }
}

/**
 * What the node's answer to a send means, alone or in a batch alike. "known" when the node already
 * had the bytes or one of the transaction's recorded versions is mined or pooled (a resend after a
 * crash, or after tx-bump). A refusal is recorded on the signature and thrown with what the user
 * can do about it. "Pool full" is the caller's to wait on, never passed here.
 */
async function readAnswer(env: TxEnvironment, row: PreparedTransaction, result: SubmitResult): Promise<"sent" | "known"> {
  if (result.accepted) {
    await ledgerOf(env.db).clearRejection(row.txHash as string);
    return "sent";
  }
  const { kind, message } = result;
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

