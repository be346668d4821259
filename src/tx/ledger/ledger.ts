import type { SqlClient } from "../../db/sql";
import type {
  LedgerAccount,
  NewPreparedTransaction,
  PreparedTransaction,
  SignatureKind,
  TransactionSignature,
  TxStatus,
} from "../../db/schema";

export type { LedgerAccount, NewPreparedTransaction, PreparedTransaction, SignatureKind, TransactionSignature, TxStatus };

/** Narrows transactionsInStatus. */
export interface StatusQuery {
  signed?: boolean;
  minedFrom?: number;
}

/** A broadcasting account: one nonce sequence per network, chain id and address. */
export interface AccountKey {
  network: string;
  chainId: number;
  /** Checksummed. */
  address: string;
}

/** Where the transactions of one allocation went: nonces startNonce .. startNonce + count - 1. */
export interface PreparedRange {
  accountId: number;
  /** Nonce of the first transaction; the others follow without gaps. */
  startNonce: number;
  count: number;
}

/**
 * The unit of work of preparing: runs under the account's write lock (BEGIN IMMEDIATE on SQLite,
 * SELECT ... FOR UPDATE on the account's row on a server database). Nothing of it is visible to
 * anyone else until the work returns, and nothing is kept if it throws.
 */
export interface NonceAllocation {
  readonly accountId: number;
  /** The account's next nonce as stored, read under the lock. */
  readonly nextNonce: number;
  /**
   * The unit of work's own client: rows of other tables written with it (the payments a prepared
   * transaction makes) are committed with the allocation, or rolled back with it. On PostgreSQL
   * it is the transaction's connection; any other client would write outside the unit.
   */
  readonly sql: SqlClient;
  /**
   * Inserts rows (status waiting, their nonces given by the caller, contiguous from a nonce not
   * used yet) and returns them as stored, in nonce order.
   */
  insert(rows: NewPreparedTransaction[]): Promise<PreparedTransaction[]>;
  /** Sets the account's next nonce; the allocation's rows must end just below it. */
  advanceTo(nextNonce: number): Promise<void>;
}

/** A state of a prepared transaction, as another table's rows need it (payments). */
export interface TransactionState {
  id: number;
  status: TxStatus;
  nonce: number;
  txHash: string | null;
  fromAddress: string;
}

/** One signed version of a transaction, to record before it is sent (the write-ahead record). */
export interface SignedVersion {
  transactionId: number;
  /** For messages. */
  nonce: number;
  /**
   * What the row must still hold for the version to be recorded: its current hash (null: never
   * signed) and, if given, one of these statuses. Anything else means another process signed or
   * moved it meanwhile, and the whole write is refused (never two signatures for one nonce by
   * accident).
   */
  expect: { txHash: string | null; statuses?: readonly TxStatus[] };
  txHash: string;
  rawTransaction: string;
  signedAt: string;
  kind: SignatureKind;
  /** The fees and gas limit the row carries from now on (what tx-broadcast resends). */
  row: { gasPrice: string | null; maxFeePerGas: string | null; maxPriorityFeePerGas: string | null; gasLimit: string };
  /** The fees and gas limit recorded with the signature (gas limit null: the transaction's). */
  signature: { gasPrice: string | null; maxFeePerGas: string | null; maxPriorityFeePerGas: string | null; gasLimit: string | null };
  /** A signature made before versions were recorded, kept first so that it is recognised if mined. */
  keepEarlier?: Omit<TransactionSignature, "id" | "transactionId" | "status" | "nodeError" | "kind">;
}

/** A write-ahead record refused: the row was signed or moved by someone else meanwhile. */
export class SignatureConflict extends Error {
  constructor(readonly nonce: number) {
    super(`transaction nonce ${nonce} was signed or changed by another process meanwhile`);
    this.name = "SignatureConflict";
  }
}

/** What tx-update learnt about one transaction. */
export interface ResultChange {
  id: number;
  nonce: number;
  /** The status read before the change: the machine checks the move from it. */
  from: TxStatus;
  set: Partial<
    Pick<
      PreparedTransaction,
      | "status"
      | "txHash"
      | "rawTransaction"
      | "gasLimit"
      | "blockNumber"
      | "blockHash"
      | "gasUsed"
      | "confirmations"
      | "succeeded"
      | "revertReason"
      | "resultFetchedAt"
      | "contractAddress"
    >
  > & { status: TxStatus };
}

/** Which signature of a transaction is mined now: one (the others are then replaced) or none (a reorg). */
export interface MinedSignature {
  transactionId: number;
  minedHash?: string;
}

/** Filters of the "is something of ours still unmined?" views. */
export interface UnminedFilter {
  network: string;
  /** The sender; any when omitted. */
  from?: string;
  /** The contract called. */
  to?: string;
  /** Calls of these functions only (signatures as recorded, e.g. `approve(address,uint256)`). */
  functions?: readonly string[];
}

/**
 * The transaction ledger: the only way to the prepared transactions and their signatures. One
 * writer per status change, typed records, state read through the views below.
 *
 * Guarantees, whatever the engine:
 * - nonces of an account are handed out once, contiguously, by `allocate` under the account's
 *   write lock; two processes (or machines) preparing at once come one after the other;
 * - a status changes only along `TRANSITIONS` (states.ts);
 * - a signature is committed before it is sent (`recordSignatures`), and a second, different
 *   signature of a nonce is only ever recorded over the one its writer saw (tx-bump, tx-cancel);
 * - every method resolves only once its writes are durable (committed).
 *
 * Every method is asynchronous so that an engine with an asynchronous client fits behind it; a
 * caller must not rely on anything happening before the returned promise resolves.
 */
export interface TxLedger {
  // --- accounts and nonces
  findAccount(key: AccountKey): Promise<LedgerAccount | undefined>;
  /** The account's row, created with `startNonce()` as its next nonce on first use. */
  openAccount(key: AccountKey, startNonce: () => Promise<number>): Promise<LedgerAccount>;
  /** Sets the next nonce; refused (StoError) while the account has transactions in the ledger. */
  restartNonce(key: AccountKey, networkNonce: number, databaseName: string): Promise<{ previous?: number; next: number }>;
  /** Runs `work` under the account's write lock; see NonceAllocation. */
  allocate<T>(accountId: number, work: (allocation: NonceAllocation) => Promise<T>): Promise<T>;

  // --- views
  transaction(id: number): Promise<PreparedTransaction | undefined>;
  /** The rows with these ids, in nonce order. */
  transactionsById(ids: readonly number[]): Promise<PreparedTransaction[]>;
  transactionByNonce(accountId: number, nonce: number): Promise<PreparedTransaction | undefined>;
  /**
   * Rows of the account in these statuses, in nonce order; only signed ones when asked, only those
   * recorded as mined in block `minedFrom` or later when given.
   */
  transactionsInStatus(accountId: number, statuses: readonly TxStatus[], options?: StatusQuery): Promise<PreparedTransaction[]>;
  /** Waiting rows of the account without a signature, in nonce order (for offline signing). */
  unsignedTransactions(accountId: number): Promise<PreparedTransaction[]>;
  /** The latest rows of a network, newest first. */
  lastTransactions(network: string, limit: number): Promise<PreparedTransaction[]>;
  /** The account's rows that may still be mined, in nonce order. */
  unfinishedTransactions(network: string, address: string): Promise<PreparedTransaction[]>;
  /** The row of lowest nonce matching the filter in UNMINED_STATUSES. */
  firstUnmined(filter: UnminedFilter): Promise<PreparedTransaction | undefined>;
  /** Whether any row matching the filter is in UNMINED_STATUSES. */
  hasUnmined(filter: UnminedFilter): Promise<boolean>;
  /** How many rows match the filter in UNMINED_STATUSES. */
  countUnmined(filter: UnminedFilter): Promise<number>;
  /** Ids of the sender's rows at or above `fromNonce` that may still be mined. */
  unminedIdsFrom(network: string, from: string, fromNonce: number): Promise<Set<number>>;
  /** Rows of a network calling or deploying these contracts, oldest first. */
  transactionsByContract(network: string, contractNames: readonly string[]): Promise<PreparedTransaction[]>;
  /** The latest deployment of a contract by name that may still be (or is) on chain. */
  latestDeployment(network: string, contractName: string): Promise<PreparedTransaction | undefined>;
  /** Every deployment recorded at an address, oldest first. */
  deploymentsAt(network: string, address: string): Promise<PreparedTransaction[]>;
  /**
   * The latest rows of a network that were mined (success, failed or mining) with their block,
   * newest first: what diagnose compares with the node's blocks.
   */
  minedTransactions(network: string, limit: number): Promise<PreparedTransaction[]>;
  /** Successful deployments: the sender's unverified ones, or those at the given addresses. */
  successfulDeployments(network: string, which: { unverifiedFrom: string } | { addresses: readonly string[] }): Promise<PreparedTransaction[]>;
  /** Up to `limit` rows of a prepared range from its `offset`-th on, in nonce order. */
  transactionsInRange(range: PreparedRange, offset?: number, limit?: number): Promise<PreparedTransaction[]>;
  /** Status, nonce and hash of these transactions, by id (for tables that point at them). */
  transactionStates(ids: readonly number[]): Promise<Map<number, TransactionState>>;
  /** Every signed version of a transaction, oldest first. */
  signaturesOf(transactionId: number): Promise<TransactionSignature[]>;
  /** signaturesOf for many transactions in a few queries (tx-update of thousands): by transaction id, each oldest first. */
  signaturesOfMany(transactionIds: readonly number[]): Promise<Map<number, TransactionSignature[]>>;

  // --- writes
  /**
   * The write-ahead record: all versions in one transaction, or none (SignatureConflict when a row
   * no longer holds what its version expects).
   */
  recordSignatures(versions: readonly SignedVersion[]): Promise<void>;
  /** Rows handed to the node: broadcasted (from the statuses tx-broadcast sends). */
  markBroadcasted(ids: readonly number[]): Promise<void>;
  /**
   * tx-broadcast's pipeline step, one transaction: `sentIds` marked broadcasted and the next
   * chunk's signatures recorded. On a SignatureConflict the marks are kept, the signatures not.
   */
  commitBroadcastChunk(sentIds: readonly number[], next: readonly SignedVersion[]): Promise<void>;
  /** Waiting rows handed to another tool (a Safe batch): exported. */
  markExported(ids: readonly number[]): Promise<void>;
  /**
   * tx-update's findings, in one transaction. A change applies only while its row is still in
   * `from`: a row another process moved meanwhile is left alone, its signatures too.
   */
  recordResults(changes: readonly ResultChange[], signatures: readonly MinedSignature[]): Promise<void>;
  /** The node refused this pending version as invalid. */
  recordRejection(txHash: string, message: string): Promise<void>;
  /** A version refused earlier was accepted now. */
  clearRejection(txHash: string): Promise<void>;
  /** tx-verify's outcome for a deployment (verifiedAt only when verified). */
  recordVerification(id: number, info: string, verifiedAt?: string): Promise<void>;
  /**
   * Forgets a network's transactions, their signatures and its accounts (db-forget-network, after
   * the database was archived), in one transaction; `dependents` runs first in it with the ids of
   * the transactions, to delete the rows of other tables that point at them.
   */
  forgetNetwork(
    network: string,
    dependents: (transactionIds: readonly number[], sql: SqlClient) => void | Promise<void>,
  ): Promise<{ transactions: number; accounts: number }>;
}
