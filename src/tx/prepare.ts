import { and, asc, eq, getTableColumns, gte, lt, sql } from "drizzle-orm";
import { Interface, getCreateAddress, type InterfaceAbi } from "ethers";
import { isNodeUnavailable } from "../chain/connection";
import { nowIso, type StoDatabase } from "../db/database";
import { broadcastAccounts, preparedTransactions, type NewPreparedTransaction, type PreparedTransaction } from "../db/schema";
import { StoError } from "../errors";
import { ensureAccount } from "./accounts";
import { hasUnminedTransactions } from "./queries";
import type { TxEnvironment } from "./environment";
import { describeRevert } from "./revert-reason";

export interface StepOptions {
  /** Identifier of the business event in another system; for payments to holders. */
  externalId?: string;
  /** Who receives value (a token holder), when it is not the contract called. */
  receiver?: string;
  /** A gas limit known to the caller; skips estimation. */
  gasLimit?: bigint;
  /** Ether sent with the transaction, in wei. */
  value?: bigint;
}

interface PlannedStep {
  nonce: number;
  note: string;
  contractName: string;
  functionSignature?: string;
  isDeployment: boolean;
  to?: string;
  contractAddress?: string;
  data: string;
  options: StepOptions;
  sourceName?: string;
  constructorArguments?: string;
  compilerInputId?: string;
}

/**
 * Collects the transactions of one command. Nonces are assigned in call order; a deployment's
 * address is known at once, so later steps can call the contract it will create.
 */
export class TransactionBuilder {
  readonly steps: PlannedStep[] = [];
  private readonly interfaces = new Map<string, Interface>();
  private readonly encodedFunctions = new Map<string, { selector: string; signature: string }>();

  constructor(
    private readonly env: TxEnvironment,
    readonly startNonce: number,
  ) {}

  get from(): string {
    return this.env.address;
  }

  /** Plans a deployment and returns the address the contract will have. */
  deploy(contractName: string, args: readonly unknown[], note: string, options: StepOptions = {}): string {
    const artifact = this.env.artifacts.get(contractName);
    if (artifact.bytecode === "0x") throw new StoError(`contract ${contractName} has no bytecode to deploy`);
    const iface = this.interfaceOf(contractName, artifact.abi);
    const constructorArguments = iface.encodeDeploy(args as unknown[]);
    const nonce = this.startNonce + this.steps.length;
    const contractAddress = getCreateAddress({ from: this.env.address, nonce });
    this.steps.push({
      nonce,
      note,
      contractName,
      isDeployment: true,
      contractAddress,
      data: artifact.bytecode + constructorArguments.slice(2),
      options,
      sourceName: `${artifact.sourceName}:${artifact.contractName}`,
      constructorArguments: constructorArguments.slice(2),
      compilerInputId: artifact.buildInfoId,
    });
    return contractAddress;
  }

  /** Plans a call of `method` on the contract at `address`. */
  call(contractName: string, address: string, method: string, args: readonly unknown[], note: string, options: StepOptions = {}): void {
    const iface = this.interfaceOf(contractName, this.env.artifacts.get(contractName).abi);
    const fragment = iface.getFunction(method);
    if (!fragment) throw new StoError(`contract ${contractName} has no function ${method}`);
    this.steps.push({
      nonce: this.startNonce + this.steps.length,
      note,
      contractName,
      functionSignature: fragment.format("sighash"),
      isDeployment: false,
      to: address,
      data: iface.encodeFunctionData(fragment, args as unknown[]),
      options,
    });
  }

  /**
   * Plans a call whose calldata the caller has encoded already. For hot paths only: a distribution
   * prepares thousands of transfers, and ABI encoding through ethers (about 60 µs per call, mostly
   * address checksumming again) would cost more than all the rest of preparing. `method` must be a
   * function of the contract and `data` must start with its selector.
   */
  callEncoded(contractName: string, address: string, method: string, data: string, note: string, options: StepOptions = {}): void {
    const key = `${contractName}.${method}`;
    let known = this.encodedFunctions.get(key);
    if (!known) {
      // Computing a selector hashes the signature: once per function, not per call.
      const fragment = this.interfaceOf(contractName, this.env.artifacts.get(contractName).abi).getFunction(method);
      if (!fragment) throw new StoError(`contract ${contractName} has no function ${method}`);
      known = { selector: fragment.selector, signature: fragment.format("sighash") };
      this.encodedFunctions.set(key, known);
    }
    if (!data.startsWith(known.selector)) throw new Error(`calldata for ${key} does not start with its selector ${known.selector}`);
    this.steps.push({
      nonce: this.startNonce + this.steps.length,
      note,
      contractName,
      functionSignature: known.signature,
      isDeployment: false,
      to: address,
      data,
      options,
    });
  }

  private interfaceOf(contractName: string, abi: InterfaceAbi): Interface {
    let iface = this.interfaces.get(contractName);
    if (!iface) {
      iface = new Interface(abi);
      this.interfaces.set(contractName, iface);
    }
    return iface;
  }
}

export interface PrepareHooks {
  /**
   * Runs inside the same database transaction as the inserts, after them: related rows (e.g.
   * distribution payments) are written atomically with the transactions, and throwing aborts all.
   */
  afterInsert?: (rows: PreparedTransaction[]) => void;
}

/** Gas for calls that cannot be estimated because they depend on an earlier transaction of the batch. */
const FALLBACK_GAS: Record<string, bigint> = {
  "setTransferVerifier(address)": 100_000n,
  "issueTokens(uint256)": 200_000n,
  "burnTokens(uint256)": 150_000n,
  "transfer(address,uint256)": 150_000n,
  "approve(address,uint256)": 100_000n,
  "addToWhitelist(address)": 100_000n,
  "removeFromWhitelist(address)": 60_000n,
  "checkpoint()": 100_000n,
  "forceTransfer(address,address,uint256,string)": 250_000n,
  // Measured in docs/gas.md: announce 232,244 (grows with name and URI length), fundFromAllowance
  // 85,897, first vote 110,848.
  "announce(address,uint256,string,string,bytes32)": 400_000n,
  "fundFromAllowance()": 150_000n,
  "fund(uint256)": 150_000n,
  "claim()": 150_000n,
  "reclaim(address)": 120_000n,
  "vote(uint256)": 200_000n,
};
const DEFAULT_FALLBACK_GAS = 1_000_000n;

/** Headroom over an estimate: state can change between preparing and mining. */
function withMargin(estimate: bigint): bigint {
  return (estimate * 125n) / 100n + 10_000n;
}

const MAX_NONCE_RACE_RETRIES = 20;

/**
 * Prepares the transactions a command plans with `build`, in one database transaction: nonces
 * allocated contiguously from the account's next nonce, all rows inserted, or nothing.
 *
 * Building (and gas estimation) needs the network and so cannot run inside a SQLite transaction.
 * It is done optimistically for the current next nonce; the write re-checks that nonce under
 * BEGIN IMMEDIATE and, if another process took it meanwhile, builds again.
 */
export async function prepareTransactions(
  env: TxEnvironment,
  build: (builder: TransactionBuilder) => void | Promise<void>,
  hooks: PrepareHooks = {},
): Promise<PreparedTransaction[]> {
  await ensureAccount(env);
  for (let attempt = 0; attempt < MAX_NONCE_RACE_RETRIES; attempt++) {
    const account = await ensureAccount(env);
    const builder = new TransactionBuilder(env, account.nextNonce);
    await build(builder);
    if (builder.steps.length === 0) return [];
    const gasLimits = await decideGasLimits(env, builder.steps);

    const result = env.db.writeTransaction((): PreparedTransaction[] | undefined => {
      const current = env.db.orm.select().from(broadcastAccounts).where(eq(broadcastAccounts.id, account.id)).get();
      if (!current || current.nextNonce !== builder.startNonce) return undefined;
      const now = nowIso();
      const rows = builder.steps.map((step, index) => preparedRow(env, account.id, step, gasLimits[index], now));
      const inserted = insertTransactions(env.db, rows, account.id, builder.startNonce, env.debug);
      env.db.orm
        .update(broadcastAccounts)
        .set({ nextNonce: sql`${broadcastAccounts.nextNonce} + ${rows.length}`, updatedAt: now })
        .where(eq(broadcastAccounts.id, account.id))
        .run();
      hooks.afterInsert?.(inserted);
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
  /** Inside the same write transaction, after the inserts of each piece (related rows go here). */
  afterChunk?(rows: readonly PreparedTransaction[], from: number): void;
}

/** Where the transactions of a streamed plan went. */
export interface PreparedRange {
  accountId: number;
  /** Nonce of the first transaction; the others follow without gaps. */
  startNonce: number;
  count: number;
}

/** Transactions planned, stored and then forgotten at a time by prepareTransactionStream. */
export const STREAM_CHUNK = 1_000;

/**
 * Prepares a plan of any size in one database transaction, all or nothing, like
 * prepareTransactions, but planning and inserting it a piece at a time inside that transaction, so
 * that memory does not grow with the number of transactions (a distribution of 100,000 rows). The
 * nonces are allocated under the write lock, so another process preparing at the same moment
 * simply comes before or after.
 */
export async function prepareTransactionStream(env: TxEnvironment, steps: StreamedPlan, blockGasLimit: bigint): Promise<PreparedRange> {
  const account = await ensureAccount(env);
  if (steps.count === 0) return { accountId: account.id, startNonce: account.nextNonce, count: 0 };
  return env.db.writeTransaction((): PreparedRange => {
    const current = env.db.orm.select().from(broadcastAccounts).where(eq(broadcastAccounts.id, account.id)).get();
    if (!current) throw new Error(`broadcast account ${account.id} disappeared from the database`);
    const startNonce = current.nextNonce;
    const now = nowIso();
    for (let from = 0; from < steps.count; from += STREAM_CHUNK) {
      const to = Math.min(steps.count, from + STREAM_CHUNK);
      const builder = new TransactionBuilder(env, startNonce + from);
      steps.plan(builder, from, to);
      if (builder.steps.length !== to - from) throw new Error(`the plan gave ${builder.steps.length} transactions for ${to - from} places`);
      const rows = builder.steps.map((step) => {
        const gasLimit = env.gasLimit ?? step.options.gasLimit;
        if (gasLimit === undefined) throw new Error(`a streamed plan gave no gas limit for "${step.note}"`);
        checkGasLimit(step, gasLimit, env.network, blockGasLimit);
        return preparedRow(env, account.id, step, gasLimit, now);
      });
      const inserted = insertTransactions(env.db, rows, account.id, startNonce + from, env.debug);
      // afterChunk pairs the rows with its plan by position.
      if (inserted.some((row, offset) => row.nonce !== startNonce + from + offset)) throw new Error("prepared transactions came back out of nonce order");
      steps.afterChunk?.(inserted, from);
    }
    env.db.orm
      .update(broadcastAccounts)
      .set({ nextNonce: startNonce + steps.count, updatedAt: now })
      .where(eq(broadcastAccounts.id, account.id))
      .run();
    return { accountId: account.id, startNonce, count: steps.count };
  });
}

/**
 * Inserts the rows with one prepared statement run per row and returns them as stored.
 * Drizzle's insert builds its SQL per value (about 100 µs per row): for the thousands of rows of a
 * distribution that was most of the time spent preparing. The statement is built from the schema's
 * column metadata, so it follows schema changes. Must run inside the write transaction.
 */
function insertTransactions(
  db: StoDatabase,
  rows: NewPreparedTransaction[],
  accountId: number,
  startNonce: number,
  debug?: (message: string) => void,
): PreparedTransaction[] {
  const columns = getTableColumns(preparedTransactions);
  const keys = Object.keys(rows[0]) as (keyof NewPreparedTransaction)[];
  const insert = db.sqlite.prepare(
    `INSERT INTO prepared_transactions (${keys.map((key) => `"${columns[key].name}"`).join(", ")}) VALUES (${keys.map(() => "?").join(", ")})`,
  );
  const ids: number[] = [];
  // The column's own conversion (booleans to 0/1 and so on), as drizzle's insert does; one array
  // of values reused for every row (better-sqlite3 copies them when it binds).
  const converters = keys.map((key) => columns[key]);
  const values: unknown[] = new Array(keys.length);
  for (const row of rows) {
    for (let index = 0; index < keys.length; index++) {
      const value = row[keys[index]];
      values[index] = value === undefined || value === null ? null : converters[index].mapToDriverValue(value);
    }
    ids.push(Number(insert.run(values).lastInsertRowid));
  }
  const built = buildStoredRows(rows, ids);
  if (built) return built;
  debug?.("reading the prepared transactions back from the database");
  return db.orm
    .select()
    .from(preparedTransactions)
    .where(
      and(
        eq(preparedTransactions.accountId, accountId),
        gte(preparedTransactions.nonce, startNonce),
        lt(preparedTransactions.nonce, startNonce + rows.length),
      ),
    )
    .orderBy(asc(preparedTransactions.nonce))
    .all();
}

/**
 * The rows as SQLite stores them after the inserts: the inserted values, the new ids and NULL in
 * the other columns. Undefined when that cannot be trusted (a column left out has a default, or a
 * value does not map back to itself), and the caller reads them back instead. Building them spares
 * reading the 10,000 rows of a large distribution back through drizzle (about 0.2 s).
 */
export function buildStoredRows(rows: readonly NewPreparedTransaction[], ids: readonly number[]): PreparedTransaction[] | undefined {
  if (rows.length === 0) return [];
  const columns = getTableColumns(preparedTransactions);
  const keys = Object.keys(rows[0]) as (keyof NewPreparedTransaction)[];
  const given = new Set<string>(keys);
  const plain = (value: unknown) =>
    value === undefined || value === null || typeof value === "string" || typeof value === "boolean" || Number.isSafeInteger(value);
  const buildable =
    Object.entries(columns).every(([key, column]) => key === "id" || given.has(key) || !column.hasDefault) &&
    keys.every((key) => key !== "id" && ["string", "number", "boolean"].includes(columns[key].dataType)) &&
    rows.every((row) => Object.keys(row).length === keys.length && keys.every((key) => plain(row[key])));
  if (!buildable) return undefined;
  const allKeys = Object.keys(columns);
  return rows.map((row, index) => {
    const stored: Record<string, unknown> = {};
    for (const key of allKeys) stored[key] = (row as Record<string, unknown>)[key] ?? null;
    stored.id = ids[index];
    return stored as PreparedTransaction;
  });
}

/**
 * The forced limit, the caller's limit, an estimate with a margin, or — for a call that depends on
 * an earlier transaction of the same batch or an unsent one — a fixed limit known to suffice.
 * A call that would revert on its own, with nothing pending before it, is refused here rather than
 * failing on chain.
 */
async function decideGasLimits(env: TxEnvironment, steps: PlannedStep[]): Promise<bigint[]> {
  const limits = await chooseGasLimits(env, steps);
  const blockGasLimit = (await env.provider.getBlock("latest"))?.gasLimit;
  steps.forEach((step, index) => checkGasLimit(step, limits[index], env.network, blockGasLimit));
  return limits;
}

/** Refuses, while nothing is written, a gas limit with which the transaction can never be mined. */
function checkGasLimit(step: PlannedStep, limit: bigint, network: string, blockGasLimit: bigint | undefined): void {
  // Below the intrinsic cost a node refuses the signed transaction outright.
  const intrinsic = intrinsicGas(step.data, step.isDeployment);
  if (limit < intrinsic) {
    throw new StoError(`${step.note}: gas limit ${limit} is below the ${intrinsic} gas any such transaction costs; raise ethereum-gas-limit`);
  }
  // Above the block gas limit the node would reject the signed transaction, and it would block
  // every later nonce.
  if (blockGasLimit !== undefined && limit > blockGasLimit) {
    throw new StoError(`${step.note}: gas limit ${limit} is above the block gas limit of ${network} (${blockGasLimit}); lower ethereum-gas-limit`);
  }
}

/** The gas a transaction costs before executing anything (EIP-2028 calldata, EIP-3860 initcode). */
export function intrinsicGas(data: string, isDeployment: boolean): bigint {
  const hex = data.startsWith("0x") ? data.slice(2) : data;
  let gas = 21_000;
  for (let offset = 0; offset < hex.length; offset += 2) gas += hex.charCodeAt(offset) === 48 && hex.charCodeAt(offset + 1) === 48 ? 4 : 16;
  if (isDeployment) gas += 32_000 + 2 * Math.ceil(hex.length / 2 / 32);
  return BigInt(gas);
}

async function chooseGasLimits(env: TxEnvironment, steps: PlannedStep[]): Promise<bigint[]> {
  if (env.gasLimit !== undefined) return steps.map(() => env.gasLimit as bigint);
  const deployedInBatch = new Set(steps.filter((step) => step.isDeployment).map((step) => step.contractAddress?.toLowerCase()));
  const hasCode = new Map<string, boolean>();
  const pendingBefore = hasUnminedTransactions(env.db, env.network, env.address);
  const limits: bigint[] = [];
  for (const [index, step] of steps.entries()) {
    if (step.options.gasLimit !== undefined) {
      limits.push(step.options.gasLimit);
      continue;
    }
    const dependsOnBatch = index > 0 || pendingBefore;
    if (!step.isDeployment && step.to) {
      const target = step.to.toLowerCase();
      if (deployedInBatch.has(target)) {
        limits.push(FALLBACK_GAS[step.functionSignature ?? ""] ?? DEFAULT_FALLBACK_GAS);
        continue;
      }
      if (!hasCode.has(target)) hasCode.set(target, (await env.provider.getCode(step.to)) !== "0x");
      if (!hasCode.get(target)) {
        // Estimating a call to an empty address measures a plain transfer: far too little gas.
        if (!pendingBefore) throw new StoError(`${step.note}: there is no contract at ${step.to} on ${env.network}`);
        limits.push(FALLBACK_GAS[step.functionSignature ?? ""] ?? DEFAULT_FALLBACK_GAS);
        continue;
      }
    }
    try {
      const estimate = await env.provider.estimateGas({
        from: env.address,
        to: step.isDeployment ? undefined : step.to,
        data: step.data,
        value: step.options.value ?? 0n,
      });
      limits.push(withMargin(estimate));
    } catch (error) {
      // A node that stopped answering is not a transaction that would fail.
      if (isNodeUnavailable(error)) throw error;
      if (!dependsOnBatch) {
        throw new StoError(`${step.note}: the transaction would fail: ${describeRevert(error, env.artifacts)}`);
      }
      env.debug?.(`cannot estimate gas for "${step.note}" before the earlier transactions are mined; using a fixed limit`);
      limits.push(step.isDeployment ? 6_000_000n : (FALLBACK_GAS[step.functionSignature ?? ""] ?? DEFAULT_FALLBACK_GAS));
    }
  }
  return limits;
}
