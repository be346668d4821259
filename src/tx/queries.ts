import { and, desc, eq, inArray } from "drizzle-orm";
import type { StoDatabase } from "../db/database";
import { preparedTransactions, type PreparedTransaction } from "../db/schema";

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
        inArray(preparedTransactions.status, ["waiting", "broadcasted", "mining", "dropped"]),
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
