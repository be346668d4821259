import { distributionPayments } from "./distribution";
import { payoutPayments } from "./payouts";
import { balanceChanges, balanceCorrections, scanBlocks, scannedTokens, scanVerifications, tokenHolders, tokenTransfers } from "./scan";
import { broadcastAccounts, networks, preparedTransactions, transactionSignatures } from "./transactions";

/*
 * The audit database's tables, written once (./transactions.ts, ./scan.ts, ./distribution.ts,
 * ./payouts.ts: the columns, defaults, keys, references and indexes, with what they mean), from
 * which each engine's drizzle tables are built: src/db/schema (SQLite) and src/db/pg-schema
 * (PostgreSQL), from which drizzle-kit generates each engine's migrations (drizzle.config.ts,
 * drizzle.pg.config.ts). Where the engines differ (64-bit numbers, booleans, keys, the time in SQL)
 * the column kinds of ./define.ts say how.
 */
export const model = {
  ...{ networks, broadcastAccounts, preparedTransactions, transactionSignatures, distributionPayments, payoutPayments },
  ...{ scannedTokens, scanBlocks, tokenTransfers, tokenHolders, balanceChanges, scanVerifications, balanceCorrections },
};

type Model = typeof model;

/** Every table of the model as built for `engine`, by the model's names. */
export function tablesFor<E extends "sqlite" | "pg">(engine: E): { [K in keyof Model]: Model[K][E] } {
  return Object.fromEntries(Object.entries(model).map(([name, table]) => [name, table[engine]])) as { [K in keyof Model]: Model[K][E] };
}

export { SIGNATURE_KINDS, SIGNATURE_STATUSES, TX_STATUSES, type SignatureKind, type SignatureStatus, type TxStatus } from "./transactions";
