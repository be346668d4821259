import { nowIso } from "../db/database";
import type { SqlClient } from "../db/sql";
import { StoError } from "../errors";
import { TransactionBuilder, type PlannedStep } from "./builder";
import type { TxEnvironment } from "./environment";
import { barrierReached } from "./faults";
import { decideGasLimits, givenGasLimit, type FallbackGas } from "./gas-limits";
import { ledgerOf, type NewPreparedTransaction, type PreparedRange, type PreparedTransaction } from "./ledger";
import { ensureAccount } from "./nonces";

export { TransactionBuilder, type StepOptions } from "./builder";
export type { FallbackGas } from "./gas-limits";
export type { PreparedRange } from "./ledger";

export interface PrepareOptions {
  /** Gas limits for the caller's calls that cannot be estimated yet (see FallbackGas). */
  fallbackGas?: FallbackGas;
  /**
   * Runs inside the same database transaction as the inserts, after them: related rows (e.g.
   * distribution payments) are written atomically with the transactions, with `sql` (the unit of
   * work's client: any other would write outside the unit on PostgreSQL), and throwing aborts all.
   */
  afterInsert?: (rows: PreparedTransaction[], sql: SqlClient) => void | Promise<void>;
}

const MAX_NONCE_RACE_RETRIES = 20;

/**
 * Prepares the transactions a command plans with `build`, in one unit of work of the ledger:
 * nonces allocated contiguously from the account's next nonce, all rows inserted, or nothing.
 *
 * Building (and gas estimation) needs the network, so it is done before taking the write lock,
 * optimistically for the current next nonce; under the lock the nonce is checked again and, if
 * another process took it meanwhile, everything is built again.
 */
export async function prepareTransactions(
  env: TxEnvironment,
  build: (builder: TransactionBuilder) => void | Promise<void>,
  options: PrepareOptions = {},
): Promise<PreparedTransaction[]> {
  const ledger = ledgerOf(env.db);
  for (let attempt = 0; attempt < MAX_NONCE_RACE_RETRIES; attempt++) {
    const account = await ensureAccount(env);
    const builder = new TransactionBuilder(env, account.nextNonce);
    await build(builder);
    if (builder.steps.length === 0) return [];
    const gasLimits = await decideGasLimits(env, builder.steps, options.fallbackGas);
    await barrierReached("before-allocate");

    const result = await ledger.allocate(account.id, async (allocation): Promise<PreparedTransaction[] | undefined> => {
      if (allocation.nextNonce !== builder.startNonce) return undefined;
      const now = nowIso();
      const inserted = await allocation.insert(builder.steps.map((step, index) => preparedRow(env, account.id, step, gasLimits[index], now)));
      await allocation.advanceTo(builder.startNonce + inserted.length);
      await options.afterInsert?.(inserted, allocation.sql);
      return inserted;
    });
    if (result) return result;
    env.debug?.(`nonce ${builder.startNonce} was taken by another process; preparing again`);
  }
  throw new StoError("could not allocate nonces: other sto processes keep preparing on the same database; try again");
}

/** The row stored for a planned step. */
function preparedRow(env: TxEnvironment, accountId: number, step: PlannedStep, gasLimit: bigint, now: string): NewPreparedTransaction {
  return {
    accountId,
    network: env.network,
    chainId: env.chainId,
    nonce: step.nonce,
    fromAddress: env.address,
    toAddress: step.isDeployment ? step.contractAddress : step.to,
    note: step.note,
    externalId: step.options.externalId,
    contractName: step.contractName,
    functionSignature: step.functionSignature,
    isDeployment: step.isDeployment,
    contractAddress: step.isDeployment ? step.contractAddress : step.to,
    receiver: step.options.receiver ?? (step.isDeployment ? step.contractAddress : step.to),
    data: step.data,
    value: (step.options.value ?? 0n).toString(),
    gasLimit: gasLimit.toString(),
    txType: env.gasPriceWei !== undefined ? 0 : 2,
    gasPrice: env.gasPriceWei?.toString(),
    status: "waiting",
    createdAt: now,
    sourceName: step.sourceName,
    constructorArguments: step.constructorArguments,
    compilerInputId: step.compilerInputId,
  };
}

/** Many transactions planned piece by piece: see prepareTransactionStream. */
export interface StreamedPlan {
  /** How many transactions the plan holds. */
  count: number;
  /**
   * Plans transactions `from` (inclusive) to `to` (exclusive) of the plan, each with its gas limit
   * in `options.gasLimit` (nothing is estimated). Runs inside the write transaction: synchronous,
   * no network. Throwing aborts everything.
   */
  plan(builder: TransactionBuilder, from: number, to: number): void;
  /** Inside the same write transaction, after the inserts of each piece (related rows go here, written with `sql`). */
  afterChunk?(rows: readonly PreparedTransaction[], from: number, sql: SqlClient): void | Promise<void>;
}

/** Transactions planned, stored and then forgotten at a time by prepareTransactionStream. */
export const STREAM_CHUNK = 1_000;

/**
 * Prepares a plan of any size in one unit of work, all or nothing, like prepareTransactions, but
 * planning and inserting it a piece at a time inside it, so that memory does not grow with the
 * number of transactions (a distribution of 100,000 rows). The nonces are allocated under the
 * write lock, so another process preparing at the same moment simply comes before or after.
 */
export async function prepareTransactionStream(env: TxEnvironment, steps: StreamedPlan, blockGasLimit: bigint): Promise<PreparedRange> {
  const account = await ensureAccount(env);
  if (steps.count === 0) return { accountId: account.id, startNonce: account.nextNonce, count: 0 };
  await barrierReached("before-allocate");
  return ledgerOf(env.db).allocate(account.id, async (allocation): Promise<PreparedRange> => {
    const startNonce = allocation.nextNonce;
    const now = nowIso();
    for (let from = 0; from < steps.count; from += STREAM_CHUNK) {
      const to = Math.min(steps.count, from + STREAM_CHUNK);
      const builder = new TransactionBuilder(env, startNonce + from);
      steps.plan(builder, from, to);
      if (builder.steps.length !== to - from) throw new Error(`the plan gave ${builder.steps.length} transactions for ${to - from} places`);
      const rows = builder.steps.map((step) => preparedRow(env, account.id, step, givenGasLimit(env, step, blockGasLimit), now));
      const inserted = await allocation.insert(rows);
      // afterChunk pairs the rows with its plan by position.
      if (inserted.some((row, offset) => row.nonce !== startNonce + from + offset)) throw new Error("prepared transactions came back out of nonce order");
      await steps.afterChunk?.(inserted, from, allocation.sql);
    }
    await allocation.advanceTo(startNonce + steps.count);
    return { accountId: account.id, startNonce, count: steps.count };
  });
}
