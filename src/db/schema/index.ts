import { tablesFor } from "../model";

/*
 * The audit database's tables on SQLite, built from the model (src/db/model, where the columns and
 * what they mean are written). drizzle.config.ts generates the SQLite migrations from this file.
 */
export const { networks, broadcastAccounts, preparedTransactions, transactionSignatures, scannedTokens, scanBlocks, tokenTransfers } = tablesFor("sqlite");
export const { tokenHolders, balanceChanges, scanVerifications, balanceCorrections, distributionPayments, payoutPayments } = tablesFor("sqlite");

export * from "../model";

// The records of the ledger, the payments and the scanner, the same on both engines
// (test/db/schemas.test.ts checks that the PostgreSQL tables give these types).
export type PreparedTransaction = typeof preparedTransactions.$inferSelect;
export type NewPreparedTransaction = typeof preparedTransactions.$inferInsert;
/** The ledger's row of a broadcasting account and its next nonce. */
export type LedgerAccount = typeof broadcastAccounts.$inferSelect;
export type TransactionSignature = typeof transactionSignatures.$inferSelect;
export type DistributionPayment = typeof distributionPayments.$inferSelect;
export type NewDistributionPayment = typeof distributionPayments.$inferInsert;
export type PayoutPayment = typeof payoutPayments.$inferSelect;
export type NewPayoutPayment = typeof payoutPayments.$inferInsert;
export type ScannedToken = typeof scannedTokens.$inferSelect;
export type ScanVerification = typeof scanVerifications.$inferSelect;
