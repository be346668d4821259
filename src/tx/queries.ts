import { and, asc, desc, eq, gte, inArray, lt } from "drizzle-orm";
import type { StoDatabase } from "../db/database";
import { preparedTransactions, type PreparedTransaction, type TxStatus } from "../db/schema";
import type { PreparedRange } from "./prepare";

/** Statuses of a transaction that may still be mined (dropped ones are sent again by tx-broadcast). */
export const UNMINED_STATUSES: readonly TxStatus[] = ["waiting", "broadcasted", "mining", "dropped"];

/** Whether the account has transactions in this database that may not be mined yet. */
export function hasUnminedTransactions(db: StoDatabase, network: string, address: string): boolean {
  return (
    db.sqlite
      .prepare(
        `SELECT 1 FROM prepared_transactions WHERE network = ? AND from_address = ? AND status IN (${UNMINED_STATUSES.map(() => "?").join(",")}) LIMIT 1`,
      )
      .get(network, address, ...UNMINED_STATUSES) !== undefined
  );
}

/** The latest prepared transactions of a network, newest first. */
export function lastTransactions(db: StoDatabase, network: string, limit: number): PreparedTransaction[] {
  return db.orm
    .select()
    .from(preparedTransactions)
    .where(eq(preparedTransactions.network, network))
    .orderBy(desc(preparedTransactions.id))
    .limit(limit)
    .all();
}

/** The account's transactions that are not final yet. */
export function unfinishedTransactions(db: StoDatabase, network: string, address: string): PreparedTransaction[] {
  return db.orm
    .select()
    .from(preparedTransactions)
    .where(
      and(
        eq(preparedTransactions.network, network),
        eq(preparedTransactions.fromAddress, address),
        inArray(preparedTransactions.status, [...UNMINED_STATUSES]),
      ),
    )
    .orderBy(preparedTransactions.nonce)
    .all();
}

/**
 * The most recent deployment of a contract by name on a network that has not failed, e.g. the
 * KYC contract commands should use. Waiting deployments count: their address is already known.
 */
export function latestDeployment(db: StoDatabase, network: string, contractName: string): PreparedTransaction | undefined {
  return db.orm
    .select()
    .from(preparedTransactions)
    .where(
      and(
        eq(preparedTransactions.network, network),
        eq(preparedTransactions.contractName, contractName),
        eq(preparedTransactions.isDeployment, true),
        inArray(preparedTransactions.status, ["waiting", "broadcasted", "mining", "success", "dropped"]),
      ),
    )
    .orderBy(desc(preparedTransactions.id))
    .limit(1)
    .get();
}

/** Rows of a network, all of them, oldest first (for issue-logs and audits). */
export function transactionsByContract(db: StoDatabase, network: string, contractNames: string[]): PreparedTransaction[] {
  return db.orm
    .select()
    .from(preparedTransactions)
    .where(and(eq(preparedTransactions.network, network), inArray(preparedTransactions.contractName, contractNames)))
    .orderBy(preparedTransactions.id)
    .all();
}

/** Up to `limit` transactions of a prepared range from its `offset`-th on, in nonce order. */
export function transactionsInRange(db: StoDatabase, range: PreparedRange, offset = 0, limit = range.count): PreparedTransaction[] {
  const from = range.startNonce + offset;
  const to = range.startNonce + Math.min(range.count, offset + limit);
  if (to <= from) return [];
  return db.orm
    .select()
    .from(preparedTransactions)
    .where(and(eq(preparedTransactions.accountId, range.accountId), gte(preparedTransactions.nonce, from), lt(preparedTransactions.nonce, to)))
    .orderBy(asc(preparedTransactions.nonce))
    .all();
}

/** Every transaction of a prepared range, read a page at a time (memory does not grow with the range). */
export function* iterateRange(db: StoDatabase, range: PreparedRange, pageSize = 1_000): Generator<PreparedTransaction> {
  for (let offset = 0; offset < range.count; offset += pageSize) yield* transactionsInRange(db, range, offset, pageSize);
}
