import { sql } from "drizzle-orm";
import { index, serialId, table, text, uniqueIndex, wideInteger } from "./define";
import { transactionId } from "./transactions";

/**
 * One payment of a distribution: a receiver paid `amount` base units of a token for the business
 * event `external_id`, by the transaction `transaction_id` (a `transfer`, or a `batchTransfer`
 * paying several rows). Written in the same database transaction as the transaction it points to.
 *
 * A payment is active while `superseded_at` is null. At most one active payment exists per
 * (network, token, external_id): that is what makes re-running a distribution safe. A payment whose
 * transaction failed on chain is superseded when the row is prepared again; the old row stays for
 * the audit trail.
 */
export const distributionPayments = table(
  "distribution_payments",
  {
    id: serialId("id"),
    network: text("network").notNull(),
    chainId: wideInteger("chain_id").notNull(),
    /** Checksummed token contract address. */
    tokenAddress: text("token_address").notNull(),
    externalId: text("external_id").notNull(),
    /** Checksummed receiver address. */
    receiver: text("receiver").notNull(),
    /** Base units (the token's decimals applied) as decimal text, exact. */
    amount: text("amount").notNull(),
    /** For the audit log only. */
    email: text("email").notNull(),
    name: text("name").notNull(),
    /** Where the row came from: `file.csv:12` or `distribute-single`. */
    source: text("source").notNull(),
    transactionId: transactionId(),
    createdAt: text("created_at").notNull(),
    /** Set when the payment failed on chain and its row was prepared again. */
    supersededAt: text("superseded_at"),
  },
  (table) => [
    uniqueIndex("distribution_payments_active")
      .on(table.network, table.tokenAddress, table.externalId)
      .where(sql`${table.supersededAt} IS NULL`),
    index("distribution_payments_transaction").on(table.transactionId),
  ],
);
