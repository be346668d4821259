import type { StoDatabase } from "../../db/database";
import type { PreparedRange, PreparedTransaction, TxLedger } from "./ledger";
import { PostgresLedger } from "./postgres";
import { SqliteLedger } from "./sqlite";

export * from "./ledger";
export * from "./states";

const ledgers = new WeakMap<StoDatabase, TxLedger>();

/**
 * The transaction ledger of an open database: the one way to prepared transactions and their
 * signatures. One per database handle (on SQLite its units of work queue on one connection).
 */
export function ledgerOf(db: StoDatabase): TxLedger {
  let ledger = ledgers.get(db);
  if (!ledger) {
    ledger = db.engine === "sqlite" ? new SqliteLedger(db) : new PostgresLedger(db);
    ledgers.set(db, ledger);
  }
  return ledger;
}

/** Every transaction of a prepared range, read a page at a time (memory does not grow with the range). */
export async function* iterateRange(ledger: TxLedger, range: PreparedRange, pageSize = 1_000): AsyncGenerator<PreparedTransaction> {
  for (let offset = 0; offset < range.count; offset += pageSize) yield* await ledger.transactionsInRange(range, offset, pageSize);
}
