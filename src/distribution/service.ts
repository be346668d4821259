import { nowIso } from "../db/database";
import { renderFieldText, StoError } from "../errors";
import type { ProgressListener } from "../progress";
import { formatTokenAmount } from "../input/amounts";
import { amountOf } from "../input/words";
import { parseAddress } from "../input/address";
import type { TxEnvironment } from "../tx/environment";
import { prepareTransactionStream, type PreparedRange } from "../tx/prepare";
import { ledgerOf } from "../tx/ledger";
import { pendingEffect } from "../tx/pending";
import { describeRevert } from "../tx/revert-reason";
import { DistributionCalldata } from "./calldata";
import { checkTransferRestrictions, readTokenState, type TokenState } from "./token-checks";
import { checkComplianceRules } from "./compliance";
import { batchTransferWithLockupCalldata, checkLockups, transferWithLockupCalldata } from "./lockups";
import { formatTime } from "../input/dates";
import { checkReceivers } from "./receivers";
import type { DistributionInputRow } from "./csv";
import { batchGasLimit, gasModel, largestBatchWithin, scaled, transferGasLimit } from "./gas";
import {
  ConcurrentDistribution,
  RETRYABLE_STATUSES,
  activePayments,
  recordPayments,
  unminedOutflow,
  type ExistingPayment,
  type PaymentRecord,
} from "./payments";
import { DistributionRejected, type DistributionOrigin, type RowProblem } from "./problems";
import { groupByReceiver, validateRows, type ValidRow } from "./validate";
import { InputError, type FieldText } from "../input/fields";
import { checkCount, type CountRange } from "../input/numbers";

export interface DistributionRequest {
  /** The token contract as the user gave it; checked here. */
  tokenAddress: string;
  rows: readonly DistributionInputRow[];
  origin: DistributionOrigin;
  /** Receivers per `batchTransfer`; absent: one `transfer` per row. */
  batchSize?: number;
  /** Progress of the long phases: checking receivers against a restricted token, preparing. */
  onProgress?: ProgressListener;
}

export interface DistributionResult {
  tokenAddress: string;
  decimals: number;
  /**
   * Transactions prepared by this run (count 0 when every row was prepared before). They are read
   * from the database when needed (the ledger's transactionsInRange, src/tx/ledger/): a large distribution's
   * would not fit in memory.
   */
  transactions: PreparedRange;
  /** Rows prepared by this run (including retried ones). */
  newRows: number;
  /** Rows whose earlier transaction failed on chain and that were prepared again now. */
  retriedRows: number;
  /** Rows prepared by an earlier run: skipped. */
  alreadyPreparedRows: number;
  /** Distinct earlier transactions paying the skipped rows. */
  oldTransactions: number;
  /** Base units sent by the new rows. */
  newAmount: bigint;
  warnings: FieldText[];
}

/** Receivers per batchTransfer: any number from 1; the block gas limit decides how many fit. */
export const DISTRIBUTION_BATCH_SIZES: CountRange = { min: 1, unit: "receivers" };

/** A row to pay now, with the failed payment it replaces if any. */
interface PlannedRow extends ValidRow {
  supersedes?: number;
}

/** Whole-distribution re-plans when another process prepared the same rows at the same moment. */
const CONCURRENCY_ATTEMPTS = 3;

/**
 * Prepares a distribution: validates every row against the token, skips the rows prepared before
 * (by network, token and external_id), checks the sender's balance and the token's transfer
 * restrictions for the rest, and prepares one `transfer` per row (or one `batchTransfer` per
 * `batchSize` rows) with its payments recorded in the same database transaction. Either
 * everything is prepared or nothing is, and a problem with any row stops it all.
 */
export async function prepareDistribution(env: TxEnvironment, request: DistributionRequest): Promise<DistributionResult> {
  if (request.batchSize !== undefined) checkCount(request.batchSize, "batchSize", DISTRIBUTION_BATCH_SIZES);
  const tokenAddress = parseAddress(request.tokenAddress, "tokenAddress");
  for (let attempt = 1; ; attempt++) {
    try {
      return await attemptDistribution(env, request, tokenAddress);
    } catch (error) {
      if (!(error instanceof ConcurrentDistribution)) throw error;
      if (attempt >= CONCURRENCY_ATTEMPTS) {
        throw new StoError(`${error.message}, again and again: nothing was prepared by this run; run it again when the other one has finished`);
      }
      env.debug?.(`${error.message}: planning again`);
    }
  }
}

async function attemptDistribution(env: TxEnvironment, request: DistributionRequest, tokenAddress: string): Promise<DistributionResult> {
  const { origin } = request;
  const clock = stopwatch(env);
  const state = await readTokenState(env, tokenAddress);
  clock.lap("read the token and the sender's balance");
  if (request.batchSize !== undefined && !state.verifier) {
    throw new InputError(
      "batchSize",
      (field) =>
        `${field("batchSize")}: the token at ${tokenAddress} has no batchTransfer (it is not a sto SecurityToken); leave out ${field("batchSize")} to send one transfer per row`,
    );
  }
  // A lock-up must end after the chain's time (the contract locks nothing otherwise).
  const now = request.rows.some((row) => (row.lockedUntil ?? "").trim() !== "") ? (await env.provider.getBlock(state.blockNumber))?.timestamp : undefined;
  const { valid, problems } = validateRows(request.rows, { decimals: state.decimals, sender: env.address, now });
  clock.lap(`validated ${request.rows.length} rows`);

  // Idempotency: rows whose external_id has an active payment are skipped, or refused if they differ.
  const existing = await activePayments(env.db, env.network, tokenAddress, valid.map((row) => row.externalId));
  const toPay: PlannedRow[] = [];
  const oldTransactionIds = new Set<number>();
  let alreadyPrepared = 0;
  for (const row of valid) {
    const earlier = existing.get(row.externalId);
    if (!earlier) {
      toPay.push(row);
      continue;
    }
    if (RETRYABLE_STATUSES.includes(earlier.status)) {
      toPay.push({ ...row, supersedes: earlier.id });
      continue;
    }
    const conflicts = conflictsWith(row, earlier, state.decimals);
    if (conflicts.length > 0) {
      problems.push(...conflicts);
      continue;
    }
    alreadyPrepared++;
    oldTransactionIds.add(earlier.transactionId);
  }

  clock.lap("looked up earlier payments");
  // Which receivers are contracts is read from the node while the checks below ask it theirs.
  // The rows of each receiver, grouped once for the three checks.
  const byReceiver = groupByReceiver(toPay);
  const receiversChecked = checkReceivers(env, state, toPay, origin, byReceiver);
  // Handled here so that a check below that fails first leaves no unhandled rejection behind.
  receiversChecked.catch(() => undefined);
  const restrictions = await checkTransferRestrictions(env, state, toPay, request.onProgress, byReceiver);
  clock.lap("checked transfer restrictions");
  if (restrictions.senderProblem) problems.push(restrictions.senderProblem);
  problems.push(...restrictions.problems);
  problems.push(...(await checkComplianceRules(env, state, toPay, request.onProgress, byReceiver)));
  problems.push(...(await checkLockups(env, state, toPay)));
  clock.lap("checked the compliance rules");
  const receivers = await receiversChecked;
  clock.lap("looked for contract receivers");
  problems.push(...receivers.problems);
  if (problems.length > 0) throw new DistributionRejected(origin, problems);

  const result: DistributionResult = {
    tokenAddress,
    decimals: state.decimals,
    transactions: { accountId: 0, startNonce: 0, count: 0 },
    newRows: toPay.length,
    retriedRows: toPay.filter((row) => row.supersedes !== undefined).length,
    alreadyPreparedRows: alreadyPrepared,
    oldTransactions: oldTransactionIds.size,
    newAmount: toPay.reduce((sum, row) => sum + row.amount, 0n),
    warnings: [...restrictions.pendingCounted, ...receivers.warnings],
  };
  if (toPay.length === 0) return result;

  await checkBalance(env, state, result.newAmount, toPay.length, origin);
  // Groups and calldata are made when each transaction is planned, not all at once: memory holds
  // the validated rows and one piece of the plan (src/tx/prepare.ts, prepareTransactionStream).
  const groupSize = request.batchSize ?? 1;
  const groupCount = Math.ceil(toPay.length / groupSize);
  const groupAt = (index: number): PlannedRow[] => toPay.slice(index * groupSize, (index + 1) * groupSize);
  const encoder = new DistributionCalldata(env.artifacts.interfaceOf("SecurityToken"));
  const lockups = toPay.some((row) => row.lockedUntil !== undefined);
  const locks = (group: readonly PlannedRow[]) => lockups && group.some((row) => row.lockedUntil !== undefined);
  const methodOf = (group: readonly PlannedRow[]): string =>
    request.batchSize === undefined ? (locks(group) ? "transferWithLockup" : "transfer") : locks(group) ? "batchTransferWithLockup" : "batchTransfer";
  const calldataOf = (group: readonly PlannedRow[]): string =>
    request.batchSize === undefined
      ? locks(group)
        ? transferWithLockupCalldata(group[0])
        : encoder.transfer(group[0].receiver, group[0].amount)
      : locks(group)
        ? batchTransferWithLockupCalldata(group)
        : encoder.batchTransfer(
            group.map((row) => row.receiver),
            group.map((row) => row.amount),
          );
  clock.lap("checked the balance");
  const gasLimitOf = await distributionGasLimits(env, state, groupAt(0), groupAt(groupCount - 1), request.batchSize !== undefined, calldataOf(groupAt(0)), result.warnings, lockups);
  clock.lap("decided gas limits");

  const source = (row: PlannedRow): string => (origin.kind === "csv" ? `${origin.file}:${row.row}` : origin.command);
  result.transactions = await prepareTransactionStream(
    env,
    {
      count: groupCount,
      plan: (builder, from, to) => {
        for (let index = from; index < to; index++) {
          const group = groupAt(index);
          const options = { gasLimit: gasLimitOf(group.length) };
          if (request.batchSize === undefined) {
            const [row] = group;
            builder.callEncoded("SecurityToken", tokenAddress, methodOf(group), calldataOf(group), transferNote(row, state.decimals), {
              ...options,
              externalId: row.externalId,
              receiver: row.receiver,
            });
          } else {
            builder.callEncoded("SecurityToken", tokenAddress, methodOf(group), calldataOf(group), batchNote(group, state.decimals), options);
          }
        }
      },
      afterChunk: async (rows, from, sql) => {
        request.onProgress?.("Preparing", from + rows.length, groupCount, "transactions");
        const payments: PaymentRecord[] = [];
        rows.forEach((transaction, offset) => {
          for (const row of groupAt(from + offset)) {
            payments.push({
              network: env.network,
              chainId: env.chainId,
              tokenAddress,
              externalId: row.externalId,
              receiver: row.receiver,
              amount: row.amount,
              email: row.email,
              name: row.name,
              source: source(row),
              transactionId: transaction.id,
              supersedes: row.supersedes,
            });
          }
        });
        await recordPayments(sql, payments, nowIso());
      },
    },
    state.blockGasLimit,
  );
  clock.lap(`prepared ${result.transactions.count} transactions`);
  return result;
}

function conflictsWith(row: ValidRow, earlier: ExistingPayment, decimals: number): RowProblem[] {
  const where = `transaction nonce ${earlier.nonce}, ${earlier.status}${earlier.txHash ? ` ${earlier.txHash}` : ""}`;
  const problems: RowProblem[] = [];
  if (earlier.receiver !== row.receiver) {
    problems.push({
      row: row.row,
      field: "address",
      value: row.receiver,
      reason: `external_id ${row.externalId} was prepared earlier for ${earlier.receiver} (${where}); an external_id is paid once`,
    });
  }
  if (earlier.amount !== row.amount) {
    problems.push({
      row: row.row,
      field: "amount",
      value: formatTokenAmount(row.amount, decimals),
      reason: `external_id ${row.externalId} was prepared earlier with amount ${formatTokenAmount(earlier.amount, decimals)} (${where}); an external_id is paid once`,
    });
  }
  return problems;
}

/**
 * The sender must hold what the new rows send, on top of what earlier prepared payments will still
 * take out of its balance once they are mined.
 */
async function checkBalance(env: TxEnvironment, state: TokenState, needed: bigint, rows: number, origin: DistributionOrigin): Promise<void> {
  // This account's transactions not mined yet: read once for the outflow and for a pending issuance.
  const unmined = await ledgerOf(env.db).unminedIdsFrom(env.network, env.address, state.minedNonce);
  const pending = await unminedOutflow(env.db, env.network, state.address, unmined);
  if (state.balance >= pending + needed) return;
  const format = (units: bigint) => formatTokenAmount(units, state.decimals);
  const where = origin.kind === "csv" ? `${origin.file}: ` : "";
  const pendingPart = pending > 0n ? `, ${format(pending)} of it already prepared for earlier payments not mined yet` : "";
  const shortage = `${where}the broadcasting account ${env.address} holds ${format(state.balance)} tokens${pendingPart}; the ${rows} ${rows === 1 ? "row to pay needs" : "rows to pay need"} ${format(needed)}: ${format(pending + needed - state.balance)} missing; nothing prepared`;
  // The shares may be on their way: this account's own issuance of the token, not mined yet, comes
  // first in nonce order; say so instead of leaving the user to issue again.
  const issuance = await pendingIssuance(env, state, unmined);
  if (issuance === undefined) throw new StoError(shortage);
  const advice = pendingEffect(`the issuance "${issuance.note}"`, issuance);
  throw new StoError((name) => `${shortage}; ${renderFieldText(advice, name)}`);
}

/** This account's issueTokens() on the token that is not mined yet, if any (the earliest). */
async function pendingIssuance(env: TxEnvironment, state: TokenState, unmined: ReadonlySet<number>) {
  if (unmined.size === 0) return undefined;
  const rows = await ledgerOf(env.db).transactionsById([...unmined]);
  return rows
    .filter((row) => row.functionSignature?.startsWith("issueTokens(") && row.toAddress?.toLowerCase() === state.address.toLowerCase())
    .sort((a, b) => a.nonce - b.nonce)[0];
}

/**
 * One gas limit per transaction from the model, checked against one estimate of the first
 * transaction (which also refuses a distribution that would revert, e.g. on a token paused by its
 * verifier) and against the block gas limit.
 */
async function distributionGasLimits(
  env: TxEnvironment,
  state: TokenState,
  first: readonly PlannedRow[],
  last: readonly PlannedRow[],
  batch: boolean,
  firstCalldata: string,
  warnings: FieldText[],
  lockups: boolean,
): Promise<(groupLength: number) => bigint> {
  const model = gasModel(state.checkpointId, lockups);
  const modelLimit = (groupLength: number) => (batch ? batchGasLimit(model, groupLength) : transferGasLimit(model));
  // Every group has the first group's size but the last: the largest limit is one of theirs.
  const largestModelLimit = [first.length, last.length].map(modelLimit).reduce((max, limit) => (limit > max ? limit : max));

  const fitInBlock = (scale: { numerator: bigint; denominator: bigint }): bigint => {
    const largest = scaled(largestModelLimit, scale);
    if (largest > state.blockGasLimit) {
      const fits = largestBatchWithin(model, state.blockGasLimit, scale);
      throw new InputError(
        "batchSize",
        (field) =>
          `${field("batchSize")} ${first.length}: a batchTransfer to ${first.length} receivers may need ${largest} gas, more than the block gas limit ${state.blockGasLimit} of ${env.network}; use ${field("batchSize")} ${fits} or less`,
      );
    }
    return largest;
  };
  // Before estimating: a node cannot estimate a transaction above its block gas limit either.
  fitInBlock({ numerator: 1n, denominator: 1n });

  let scale = { numerator: 1n, denominator: 1n };
  try {
    const estimate = await env.provider.estimateGas({ from: env.address, to: state.address, data: firstCalldata });
    const needed = (estimate * 120n) / 100n;
    const firstLimit = modelLimit(first.length);
    if (needed > firstLimit) {
      env.debug?.(`the first transaction estimates at ${estimate} gas, above the model's ${firstLimit}: scaling the model`);
      scale = { numerator: needed, denominator: firstLimit };
    }
  } catch (error) {
    // Earlier transactions of this account that are not mined yet can make the estimate fail
    // (or be meaningless); the model alone then decides.
    if (!(await ledgerOf(env.db).hasUnmined({ network: env.network, from: env.address }))) {
      const row = first[0].row !== undefined ? ` (row ${first[0].row})` : "";
      throw new StoError(`the first ${batch ? "batch" : "payment"}${row} would fail on chain: ${describeRevert(error, env.artifacts)}; nothing prepared`);
    }
    env.debug?.("cannot estimate the first transaction before the earlier ones are mined; using the gas model alone");
  }
  const largest = fitInBlock(scale);
  if (env.gasLimit !== undefined && env.gasLimit < largest) {
    warnings.push(
      `the configured gas limit ${env.gasLimit} is used for every transaction, below the ${largest} gas the largest distribution transaction may need: some may run out of gas`,
    );
  }
  if (env.gasLimit !== undefined && env.gasLimit > state.blockGasLimit) {
    warnings.push(`the configured gas limit ${env.gasLimit} is above the block gas limit ${state.blockGasLimit}: the node will refuse the transactions`);
  }
  return (groupLength) => scaled(modelLimit(groupLength), scale);
}

function transferNote(row: ValidRow, decimals: number): string {
  const lock = row.lockedUntil === undefined ? "" : `, locked until ${formatTime(row.lockedUntil)}`;
  return `Distributing ${amountOf(formatTokenAmount(row.amount, decimals), "share")} to ${describeReceiver(row)}${lock}`;
}

function batchNote(group: readonly ValidRow[], decimals: number): string {
  if (group.length === 1) return transferNote(group[0], decimals);
  const total = group.reduce((sum, row) => sum + row.amount, 0n);
  const last = group[group.length - 1];
  const locked = group.filter((row) => row.lockedUntil !== undefined).length;
  const lock = locked === 0 ? "" : `, ${locked} of them with a lock-up`;
  return `Distributing ${amountOf(formatTokenAmount(total, decimals), "share")} to ${group.length} receivers (external_id ${group[0].externalId} … ${last.externalId})${lock}`;
}

function describeReceiver(row: ValidRow): string {
  const who = row.name !== "" ? row.name : row.receiver;
  return row.email !== "" ? `${who} (${row.email})` : who;
}

/** Debug-level timings of the phases: where the time goes on a large file. */
function stopwatch(env: TxEnvironment): { lap(what: string): void } {
  let last = performance.now();
  return {
    lap(what) {
      const now = performance.now();
      env.debug?.(`distribution: ${what} in ${(now - last).toFixed(0)} ms`);
      last = now;
    },
  };
}
