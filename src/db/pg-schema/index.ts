import { tablesFor } from "../model";

/*
 * The audit database's tables on PostgreSQL, built from the same model as the SQLite ones
 * (src/db/model). drizzle.pg.config.ts generates the PostgreSQL migrations from this file.
 *
 * Types: integer where the values fit 32 bits (nonces, log indexes, decimals); bigint (read as a
 * JavaScript number) for chain ids, block numbers, timestamps and the scanner's row ids; text for
 * amounts (decimal text, exact) and times (ISO-8601), as on SQLite. test/db/schemas.test.ts checks
 * that both engines' tables have the same columns, keys and indexes and give the same records.
 */
export const { networks, broadcastAccounts, preparedTransactions, transactionSignatures, scannedTokens, scanBlocks, tokenTransfers } = tablesFor("pg");
export const { tokenHolders, balanceChanges, scanVerifications, balanceCorrections, distributionPayments, payoutPayments } = tablesFor("pg");
