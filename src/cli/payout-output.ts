import { ZeroAddress } from "ethers";
import type { PaymentWithStatus } from "../corporate/payout/dividends";
import type { FailedPayment, HolderPosition, PayoutState } from "../corporate/payout/state";
import { formatTokenAmount } from "../input/amounts";
import { formatTime } from "../input/dates";
import { UNMINED_STATUSES } from "../tx/ledger";
import type { NameOf } from "./identity-option";
import { amountJson, withAmounts } from "./json-amounts";
import type { Output } from "./output";

/** A holder's situation in one word, for the status table. */
export function holderStatus(position: HolderPosition, active: PaymentWithStatus | undefined): string {
  if (position.excluded) return "excluded";
  if (active && UNMINED_STATUSES.includes(active.txStatus)) return `pending (${active.txStatus})`;
  if (position.due === 0n) return position.paid > 0n ? "paid" : "nothing due";
  if (!position.eligible) return "not eligible";
  if (position.failedPayment !== null) return "payment failed";
  return position.paid > 0n ? "partly paid" : "due";
}

/** The summary lines of a payout. */
export function printPayoutSummary(out: Output, state: PayoutState): void {
  const money = (units: bigint) => `${formatTokenAmount(units, state.currency.decimals)} ${state.currency.symbol}`;
  const shares = (units: bigint) => `${formatTokenAmount(units, state.token.decimals)} ${state.token.symbol}`;
  out.result(`Payout: ${state.name} (${state.address})`);
  out.result(`Security token: ${state.token.name} (${state.token.symbol}) ${state.token.address}`);
  out.result(
    `Record date: checkpoint ${state.checkpointId}, block ${state.checkpointBlock}${state.checkpointTime !== null ? ` (${formatTime(state.checkpointTime)})` : ""}`,
  );
  out.result(`Currency: ${state.currency.name} (${state.currency.symbol}) ${state.currency.address}`);
  out.result(state.kyc === ZeroAddress ? "Eligible: every holder" : `Eligible: holders whitelisted in KYC contract ${state.kyc}`);
  out.result(`Excluded: ${state.excluded.length > 0 ? state.excluded.join(", ") : "nobody"}`);
  out.result(`Expiry: ${formatTime(state.expiry)}${state.expired ? " (expired: the rest can be reclaimed)" : ""}`);
  out.result(`Eligible supply: ${shares(state.eligibleSupply)}`);
  out.result(`Funded: ${money(state.totalFunded)}`);
  out.result(`Paid: ${money(state.totalPaid)}`);
  const parts = [`due to eligible holders ${money(state.dueToEligible)}`];
  if (state.dueToIneligible > 0n) parts.push(`due to holders not eligible now ${money(state.dueToIneligible)}`);
  parts.push(state.roundingRemainder !== undefined ? `rounding remainder ${money(state.roundingRemainder)}` : "rounding remainder unknown (holder list incomplete)");
  out.result(`Unpaid: ${money(state.unpaid)} (${parts.join("; ")})`);
  out.result(`Holders at the checkpoint: ${state.holders.length} (from ${state.holderSource})`);
  if (state.failedPayments.length > 0) out.warn(failedPaymentsAdvice(state));
  if (!state.complete) {
    out.warn(
      `the holders found hold ${shares(state.listedShares)} of the eligible supply of ${shares(state.eligibleSupply)}: some holders are missing from the list`,
    );
  }
}

/** Who was not paid because the currency refused the transfer, and what to do about it. */
export function failedPaymentsAdvice(state: PayoutState): string {
  const money = (units: bigint) => `${formatTokenAmount(units, state.currency.decimals)} ${state.currency.symbol}`;
  const who = state.failedPayments.map((failure) => `${failure.holder} (${money(failure.amount)}, transaction ${failure.txHash})`).join(", ");
  return (
    `${state.failedPayments.length} holder(s) were not paid: the payout currency ${state.currency.symbol} refused the transfer (PaymentFailed): ${who}. ` +
    `They are still due. Find out why ${state.currency.symbol} refuses them (a blocklisted or frozen address), then run payout-dividends again (it retries them) or let them payout-claim, before the expiry ${formatTime(state.expiry)}; ` +
    "after it, payout-reclaim returns what they were not paid"
  );
}

/** The per-holder table of a payout; with `nameOf` (an identity file), a column of names. */
export function printHolderTable(out: Output, state: PayoutState, payments: PaymentWithStatus[], nameOf?: NameOf): void {
  const active = activePayments(payments);
  out.table(
    [...(nameOf ? ["Name"] : []), "Holder", "Shares", "Entitlement", "Paid", "Due", "Status", "Payment"],
    state.holders.map((position) => {
      const payment = active.get(position.holder);
      return [
        ...(nameOf ? [nameOf(position.holder) ?? ""] : []),
        position.holder,
        formatTokenAmount(position.shares, state.token.decimals),
        formatTokenAmount(position.entitlement, state.currency.decimals),
        formatTokenAmount(position.paid, state.currency.decimals),
        formatTokenAmount(position.due, state.currency.decimals),
        holderStatus(position, payment),
        // The transaction as tx-last and a block explorer show it, not the database's row key.
        payment ? `nonce ${payment.nonce}${payment.txHash ? ` ${payment.txHash}` : ""}` : "",
      ];
    }),
    { alignRight: (nameOf ? [2, 3, 4, 5] : [1, 2, 3, 4]) },
  );
}

/** The latest active payment row of each holder. */
export function activePayments(payments: PaymentWithStatus[]): Map<string, PaymentWithStatus> {
  const active = new Map<string, PaymentWithStatus>();
  for (const row of payments) if (row.supersededAt === null) active.set(row.holder, row);
  return active;
}

/** The machine-readable form of a payout state; with `nameOf`, each holder's `name`. Amounts as amountJson gives them. */
export function payoutStateJson(state: PayoutState, payments: PaymentWithStatus[], nameOf?: NameOf): Record<string, unknown> {
  const active = activePayments(payments);
  const shares = state.token.decimals;
  const money = state.currency.decimals;
  const failed = (failure: FailedPayment) => withAmounts(failure, money, ["amount"]);
  return {
    ...withAmounts(
      withAmounts(
        { ...state, holders: undefined, failedPayments: undefined },
        shares,
        ["eligibleSupply", "listedShares"],
      ),
      money,
      ["totalFunded", "totalPaid", "unpaid", "roundingRemainder", "dueToEligible", "dueToIneligible"],
    ),
    holders: state.holders.map((position) => ({
      ...(nameOf ? { name: nameOf(position.holder) } : {}),
      ...withAmounts(
        withAmounts({ ...position, failedPayment: position.failedPayment === null ? null : failed(position.failedPayment) }, shares, ["shares"]),
        money,
        ["entitlement", "paid", "due"],
      ),
      status: holderStatus(position, active.get(position.holder)),
    })),
    failedPayments: state.failedPayments.map(failed),
    payments: payments.map((row) => ({
      externalId: row.externalId,
      holder: row.holder,
      ...amountJson("amount", row.amount, money),
      ...amountJson("shares", row.shares, shares),
      ...amountJson("paidAmount", row.paidAmount, money),
      transactionId: row.transactionId,
      nonce: row.nonce,
      txHash: row.txHash,
      txStatus: row.txStatus,
      createdAt: row.createdAt,
      supersededAt: row.supersededAt,
    })),
  };
}
