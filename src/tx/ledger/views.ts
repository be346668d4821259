import { and, asc, desc, eq, gte, inArray, isNotNull, isNull, lt, type SQL } from "drizzle-orm";
import type * as pgSchema from "../../db/pg-schema";
import type * as sqliteSchema from "../../db/schema";
import type { AccountKey, NewPreparedTransaction, PreparedRange, PreparedTransaction, StatusQuery, TransactionSignature, TxLedger, TxStatus, UnminedFilter } from "./ledger";
import { LIVE_DEPLOYMENT_STATUSES, UNMINED_STATUSES } from "./states";

/*
 * What the ledger's views and checks mean, written once for both engines: which rows each view
 * returns (LedgerViews, over the engine's tables and its way of running a query) and what a nonce
 * allocation accepts. The engines differ in how they run a query, not in what it asks.
 */

type Transactions = typeof sqliteSchema.preparedTransactions | typeof pgSchema.preparedTransactions;
type Accounts = typeof sqliteSchema.broadcastAccounts | typeof pgSchema.broadcastAccounts;

/** The account row of a key. */
export const accountWhere = (t: Accounts, key: AccountKey): SQL | undefined =>
  and(eq(t.network, key.network), eq(t.chainId, key.chainId), eq(t.address, key.address));

export const byNonce = (t: Transactions, accountId: number, nonce: number) => and(eq(t.accountId, accountId), eq(t.nonce, nonce));

export const inStatus = (t: Transactions, accountId: number, statuses: readonly TxStatus[], options: StatusQuery) =>
  and(
    eq(t.accountId, accountId),
    inArray(t.status, [...statuses]),
    options.signed ? isNotNull(t.rawTransaction) : undefined,
    options.minedFrom !== undefined ? gte(t.blockNumber, options.minedFrom) : undefined,
  );

export const unfinished = (t: Transactions, network: string, address: string) =>
  and(eq(t.network, network), eq(t.fromAddress, address), inArray(t.status, [...UNMINED_STATUSES]));

/** Rows that may still be mined, narrowed by sender, contract called and function. */
export const unmined = (t: Transactions, filter: UnminedFilter) =>
  and(
    eq(t.network, filter.network),
    inArray(t.status, [...UNMINED_STATUSES]),
    filter.from !== undefined ? eq(t.fromAddress, filter.from) : undefined,
    filter.to !== undefined ? eq(t.toAddress, filter.to) : undefined,
    filter.functions !== undefined ? inArray(t.functionSignature, [...filter.functions]) : undefined,
  );

export const byContract = (t: Transactions, network: string, contractNames: readonly string[]) =>
  and(eq(t.network, network), inArray(t.contractName, [...contractNames]));

export const liveDeployment = (t: Transactions, network: string, contractName: string) =>
  and(eq(t.network, network), eq(t.contractName, contractName), eq(t.isDeployment, true), inArray(t.status, [...LIVE_DEPLOYMENT_STATUSES]));

export const deploymentsAt = (t: Transactions, network: string, address: string) =>
  and(eq(t.network, network), eq(t.contractAddress, address), eq(t.isDeployment, true));

/** Rows with a block that were mined (success, failed or mining). */
export const mined = (t: Transactions, network: string) =>
  and(eq(t.network, network), inArray(t.status, ["success", "failed", "mining"]), isNotNull(t.blockNumber), isNotNull(t.blockHash));

/** Successful deployments: not verified yet from a deployer, or at these addresses. */
export function successfulDeployments(t: Transactions, network: string, which: { unverifiedFrom: string } | { addresses: readonly string[] }) {
  const base = and(eq(t.network, network), eq(t.isDeployment, true), eq(t.status, "success"));
  return "unverifiedFrom" in which
    ? and(base, eq(t.fromAddress, which.unverifiedFrom), isNull(t.verifiedAt))
    : and(base, inArray(t.contractAddress, [...which.addresses]));
}

/** The rows of a range from `offset`, at most `limit`; undefined when that is none. */
export function inRange(t: Transactions, range: PreparedRange, offset: number, limit: number): SQL | undefined {
  const from = range.startNonce + offset;
  const to = range.startNonce + Math.min(range.count, offset + limit);
  if (to <= from) return undefined;
  return and(eq(t.accountId, range.accountId), gte(t.nonce, from), lt(t.nonce, to));
}

/** What an allocation inserts: new rows of its account, waiting, contiguous from its next nonce. */
export function checkNewRows(rows: readonly NewPreparedTransaction[], accountId: number, nextNonce: number): void {
  const first = rows[0].nonce;
  if (first < nextNonce || rows.some((row, index) => row.accountId !== accountId || row.nonce !== first + index || row.status !== "waiting")) {
    throw new Error(`prepared transactions must be new, waiting and contiguous from nonce ${nextNonce} of account ${accountId}`);
  }
}

/** An account's next nonce only goes forward. */
export function checkAdvance(accountId: number, nextNonce: number, nonce: number): void {
  if (nonce < nextNonce) throw new Error(`the next nonce of account ${accountId} cannot go back from ${nextNonce} to ${nonce}`);
}

/** Signatures grouped by transaction, each group oldest first (rows ordered by id). */
export function groupSignatures(transactionIds: readonly number[], rows: readonly TransactionSignature[]): Map<number, TransactionSignature[]> {
  const byTransaction = new Map<number, TransactionSignature[]>(transactionIds.map((id) => [id, []]));
  for (const row of rows) byTransaction.get(row.transactionId)?.push(row);
  return byTransaction;
}

type ViewName =
  | "transaction"
  | "transactionByNonce"
  | "transactionsInStatus"
  | "unsignedTransactions"
  | "lastTransactions"
  | "unfinishedTransactions"
  | "firstUnmined"
  | "hasUnmined"
  | "transactionsByContract"
  | "latestDeployment"
  | "deploymentsAt"
  | "successfulDeployments"
  | "minedTransactions"
  | "transactionsInRange";

/**
 * The ledger's views of prepared_transactions that read whole rows, on either engine: each engine's
 * ledger gives its table and `rows`, the one way it runs such a query.
 */
export abstract class LedgerViews implements Pick<TxLedger, ViewName> {
  constructor(private readonly t: Transactions) {}

  /** Rows of prepared_transactions matching `where`, by nonce unless `order` says otherwise. */
  protected abstract rows(where: SQL | undefined, order?: SQL, limit?: number): PreparedTransaction[] | Promise<PreparedTransaction[]>;

  async transaction(id: number): Promise<PreparedTransaction | undefined> {
    return (await this.rows(eq(this.t.id, id)))[0];
  }

  async transactionByNonce(accountId: number, nonce: number): Promise<PreparedTransaction | undefined> {
    return (await this.rows(byNonce(this.t, accountId, nonce)))[0];
  }

  async transactionsInStatus(accountId: number, statuses: readonly TxStatus[], options: StatusQuery = {}): Promise<PreparedTransaction[]> {
    return this.rows(inStatus(this.t, accountId, statuses, options));
  }

  async unsignedTransactions(accountId: number): Promise<PreparedTransaction[]> {
    return (await this.transactionsInStatus(accountId, ["waiting"])).filter((row) => row.rawTransaction === null);
  }

  async lastTransactions(network: string, limit: number): Promise<PreparedTransaction[]> {
    return this.rows(eq(this.t.network, network), desc(this.t.id), limit);
  }

  async unfinishedTransactions(network: string, address: string): Promise<PreparedTransaction[]> {
    return this.rows(unfinished(this.t, network, address));
  }

  async firstUnmined(filter: UnminedFilter): Promise<PreparedTransaction | undefined> {
    return (await this.rows(unmined(this.t, filter), asc(this.t.nonce), 1))[0];
  }

  async hasUnmined(filter: UnminedFilter): Promise<boolean> {
    return (await this.firstUnmined(filter)) !== undefined;
  }

  async transactionsByContract(network: string, contractNames: readonly string[]): Promise<PreparedTransaction[]> {
    return this.rows(byContract(this.t, network, contractNames), asc(this.t.id));
  }

  async latestDeployment(network: string, contractName: string): Promise<PreparedTransaction | undefined> {
    return (await this.rows(liveDeployment(this.t, network, contractName), desc(this.t.id), 1))[0];
  }

  async deploymentsAt(network: string, address: string): Promise<PreparedTransaction[]> {
    return this.rows(deploymentsAt(this.t, network, address), asc(this.t.id));
  }

  async successfulDeployments(network: string, which: { unverifiedFrom: string } | { addresses: readonly string[] }): Promise<PreparedTransaction[]> {
    if ("addresses" in which && which.addresses.length === 0) return [];
    // The deployer's, by nonce; those at the addresses, by id.
    return this.rows(successfulDeployments(this.t, network, which), "unverifiedFrom" in which ? undefined : asc(this.t.id));
  }

  async minedTransactions(network: string, limit: number): Promise<PreparedTransaction[]> {
    return this.rows(mined(this.t, network), desc(this.t.id), limit);
  }

  async transactionsInRange(range: PreparedRange, offset = 0, limit = range.count): Promise<PreparedTransaction[]> {
    const where = inRange(this.t, range, offset, limit);
    return where ? this.rows(where) : [];
  }
}
