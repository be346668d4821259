import { and, asc, eq, getTableColumns, gte, lt, sql } from "drizzle-orm";
import { Interface, getCreateAddress, type InterfaceAbi } from "ethers";
import { isNodeUnavailable } from "../chain/connection";
import { nowIso, type StoDatabase } from "../db/database";
import { broadcastAccounts, preparedTransactions, type NewPreparedTransaction, type PreparedTransaction } from "../db/schema";
import { StoError } from "../errors";
import { ensureAccount } from "./accounts";
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
      const rows: NewPreparedTransaction[] = builder.steps.map((step, index) => ({
        accountId: account.id,
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
        gasLimit: gasLimits[index].toString(),
        txType: env.gasPriceWei !== undefined ? 0 : 2,
        gasPrice: env.gasPriceWei?.toString(),
        status: "waiting",
        createdAt: now,
        sourceName: step.sourceName,
        constructorArguments: step.constructorArguments,
        compilerInputId: step.compilerInputId,
      }));
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
  // Below the intrinsic cost a node refuses the signed transaction outright.
  for (const [index, step] of steps.entries()) {
    const intrinsic = intrinsicGas(step.data, step.isDeployment);
    if (limits[index] < intrinsic) {
      throw new StoError(`${step.note}: gas limit ${limits[index]} is below the ${intrinsic} gas any such transaction costs; raise ethereum-gas-limit`);
    }
  }
  // A limit above the block gas limit can never be mined: the node would reject the signed
  // transaction and it would block every later nonce. Refuse it now, while nothing is written.
  const blockGasLimit = (await env.provider.getBlock("latest"))?.gasLimit;
  if (blockGasLimit !== undefined) {
    const index = limits.findIndex((limit) => limit > blockGasLimit);
    if (index >= 0) {
      throw new StoError(
        `${steps[index].note}: gas limit ${limits[index]} is above the block gas limit of ${env.network} (${blockGasLimit}); lower ethereum-gas-limit`,
      );
    }
  }
  return limits;
}

/** The gas a transaction costs before executing anything (EIP-2028 calldata, EIP-3860 initcode). */
export function intrinsicGas(data: string, isDeployment: boolean): bigint {
  const hex = data.startsWith("0x") ? data.slice(2) : data;
  let gas = 21_000n;
  for (let offset = 0; offset < hex.length; offset += 2) gas += hex.slice(offset, offset + 2) === "00" ? 4n : 16n;
  if (isDeployment) gas += 32_000n + 2n * BigInt(Math.ceil(hex.length / 2 / 32));
  return gas;
}

async function chooseGasLimits(env: TxEnvironment, steps: PlannedStep[]): Promise<bigint[]> {
  if (env.gasLimit !== undefined) return steps.map(() => env.gasLimit as bigint);
  const deployedInBatch = new Set(steps.filter((step) => step.isDeployment).map((step) => step.contractAddress?.toLowerCase()));
  const hasCode = new Map<string, boolean>();
  const pendingBefore = await hasUnminedTransactions(env);
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

async function hasUnminedTransactions(env: TxEnvironment): Promise<boolean> {
  const row = env.db.sqlite
    .prepare(
      "SELECT 1 FROM prepared_transactions WHERE from_address = ? AND chain_id = ? AND status IN ('waiting','broadcasted','mining','dropped') LIMIT 1",
    )
    .get(env.address, env.chainId);
  return row !== undefined;
}
