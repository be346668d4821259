import { sql } from "drizzle-orm";
import { index, serialId, table, text, uniqueIndex, wideInteger } from "./define";
import { transactionId } from "./transactions";

/**
 * One holder's payment by `payout-dividends`: the Payout contract's `payBatch` transaction
 * `transaction_id` is to pay `holder` what was due to it when prepared (`amount`, base units of the
 * payout token). Several rows share a transaction (one batch). Written in the same database
 * transaction as the transaction it points to.
 *
 * `external_id` is `payout:<payout address>:<holder>` (checksummed), with `:2`, `:3`... for a
 * top-up after a further deposit. At most one active row (`superseded_at` null) exists per
 * external id: a re-run never prepares a second payment for a holder whose payment is pending or
 * done. When the transaction has been mined, `paid_amount` records what the contract's `Paid`
 * events say the holder actually received (0 if `payBatch` skipped it, e.g. not whitelisted at
 * that moment). A row whose transaction failed, or that paid nothing, is superseded when the holder
 * is prepared again; the old row stays for the audit trail.
 */
export const payoutPayments = table(
  "payout_payments",
  {
    id: serialId("id"),
    network: text("network").notNull(),
    chainId: wideInteger("chain_id").notNull(),
    /** Checksummed Payout contract address. */
    payoutAddress: text("payout_address").notNull(),
    /** Checksummed holder address. */
    holder: text("holder").notNull(),
    externalId: text("external_id").notNull(),
    /** Due when prepared: entitlement minus what was paid, base units, decimal text. */
    amount: text("amount").notNull(),
    /** The holder's balance at the checkpoint, base units of the security token, for the audit log. */
    shares: text("shares").notNull(),
    transactionId: transactionId(),
    createdAt: text("created_at").notNull(),
    /** What the mined transaction paid this holder (from `Paid` events); null until known. */
    paidAmount: text("paid_amount"),
    reconciledAt: text("reconciled_at"),
    /** Set when the payment failed or paid nothing and the holder was prepared again. */
    supersededAt: text("superseded_at"),
  },
  (table) => [
    uniqueIndex("payout_payments_active")
      .on(table.network, table.payoutAddress, table.externalId)
      .where(sql`${table.supersededAt} IS NULL`),
    index("payout_payments_transaction").on(table.transactionId),
    index("payout_payments_holder").on(table.payoutAddress, table.holder),
  ],
);
