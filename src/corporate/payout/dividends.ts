import { nowIso } from "../../db/database";
import type { PayoutPayment } from "../../db/schema";
import { isUniqueViolation } from "../../db/sql";
import { StoError } from "../../errors";
import type { ProgressListener } from "../../progress";
import { formatTokenAmount, parseTokenAmount } from "../../input/amounts";
import { contractAt, requireRole, type ReadEnvironment } from "../../token/onchain";
import type { TxEnvironment } from "../../tx/environment";
import { prepareTransactions } from "../../tx/prepare";
import { ledgerOf, UNMINED_STATUSES, type PreparedTransaction, type TxStatus } from "../../tx/ledger";
import { PAYOUT_FALLBACK_GAS } from "./gas";
import { readPayoutState, type HolderPosition, type PayoutState } from "./state";
import { InputError } from "../../input/fields";
import { checkCount, type CountRange } from "../../input/numbers";
import { counted } from "../../input/words";

/** A payment row with the status of the transaction that carries it. */
export interface PaymentWithStatus extends PayoutPayment {
  txStatus: TxStatus;
  txHash: string | null;
  nonce: number;
}


/** The external id of a holder's payment: the first one, then `:2`, `:3`... for top-ups. */
export function paymentExternalId(payoutAddress: string, holder: string, round: number): string {
  return round <= 1 ? `payout:${payoutAddress}:${holder}` : `payout:${payoutAddress}:${holder}:${round}`;
}

/** Every payment row of a payout (superseded ones included), oldest first. */
export async function paymentsOf(env: Pick<ReadEnvironment, "db" | "network">, payoutAddress: string): Promise<PaymentWithStatus[]> {
  const payments = await env.db.sql.all<PayoutPayment>(
    `SELECT id, network, chain_id AS "chainId", payout_address AS "payoutAddress", holder, external_id AS "externalId", amount, shares,
            transaction_id AS "transactionId", created_at AS "createdAt", paid_amount AS "paidAmount", reconciled_at AS "reconciledAt",
            superseded_at AS "supersededAt"
       FROM payout_payments WHERE network = ? AND payout_address = ? ORDER BY id`,
    [env.network, payoutAddress],
  );
  // The state of each payment's transaction, from the ledger.
  const states = await ledgerOf(env.db).transactionStates(payments.map((payment) => payment.transactionId));
  return payments.flatMap((payment) => {
    const state = states.get(payment.transactionId);
    return state ? [{ ...payment, txStatus: state.status, txHash: state.txHash, nonce: state.nonce }] : [];
  });
}

/**
 * Records what each mined payment actually paid, from the `Paid` events of its transaction's
 * receipt: `payBatch` skips holders that are not eligible or have nothing due at that moment, so a
 * successful transaction does not prove that every listed holder was paid.
 */
export async function reconcilePayments(env: ReadEnvironment, payoutAddress: string): Promise<number> {
  const open = (await paymentsOf(env, payoutAddress)).filter((row) => row.supersededAt === null && row.paidAmount === null && row.txStatus === "success" && row.txHash);
  if (open.length === 0) return 0;
  const iface = env.artifacts.interfaceOf("Payout");
  const paidEvent = iface.getEvent("Paid");
  const byTx = new Map<string, PaymentWithStatus[]>();
  for (const row of open) byTx.set(row.txHash as string, [...(byTx.get(row.txHash as string) ?? []), row]);
  const updates: { id: number; paid: bigint }[] = [];
  for (const [hash, rows] of byTx) {
    const receipt = await env.provider.getTransactionReceipt(hash);
    if (!receipt) continue;
    const paid = new Map<string, bigint>();
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== payoutAddress.toLowerCase() || log.topics[0] !== paidEvent?.topicHash) continue;
      const parsed = iface.parseLog(log);
      if (!parsed) continue;
      const holder = (parsed.args.getValue("holder") as string).toLowerCase();
      paid.set(holder, (paid.get(holder) ?? 0n) + (parsed.args.getValue("amount") as bigint));
    }
    for (const row of rows) updates.push({ id: row.id, paid: paid.get(row.holder.toLowerCase()) ?? 0n });
  }
  if (updates.length === 0) return 0;
  const now = nowIso();
  await env.db.write(async (sql) => {
    for (const update of updates) {
      await sql.run("UPDATE payout_payments SET paid_amount = ?, reconciled_at = ? WHERE id = ? AND paid_amount IS NULL", [update.paid.toString(), now, update.id]);
    }
  });
  return updates.length;
}

/** What a payout-dividends run would do with each holder. */
export interface DividendPlan {
  /** Holders to pay now, in batches, with their external ids and the rows they supersede. */
  batches: PlannedPayment[][];
  /** Holders whose payment is prepared or broadcast and not mined yet. */
  pending: HolderPosition[];
  /** Holders with something due who are not whitelisted now. */
  notEligible: HolderPosition[];
  /** Holders paid in full. */
  paid: HolderPosition[];
  /** Holders whose entitlement rounds down to zero. */
  nothingDue: HolderPosition[];
  total: bigint;
}

export interface PlannedPayment {
  position: HolderPosition;
  externalId: string;
  supersedes: number[];
}

export function planDividends(state: PayoutState, payments: PaymentWithStatus[], batchSize: number): DividendPlan {
  const active = new Map<string, PaymentWithStatus[]>();
  for (const row of payments) {
    if (row.supersededAt !== null) continue;
    active.set(row.holder, [...(active.get(row.holder) ?? []), row]);
  }
  const plan: DividendPlan = { batches: [], pending: [], notEligible: [], paid: [], nothingDue: [], total: 0n };
  const toPay: PlannedPayment[] = [];
  for (const position of state.holders) {
    if (position.excluded) continue;
    if (position.due === 0n) {
      (position.paid > 0n ? plan.paid : plan.nothingDue).push(position);
      continue;
    }
    if (!position.eligible) {
      plan.notEligible.push(position);
      continue;
    }
    const rows = active.get(position.holder) ?? [];
    if (rows.some((row) => UNMINED_STATUSES.includes(row.txStatus) || (row.txStatus === "success" && row.paidAmount === null))) {
      plan.pending.push(position);
      continue;
    }
    // Rows that paid nothing (failed, or skipped by the contract) give their external id back.
    const retry = rows.filter((row) => row.txStatus === "failed" || row.txStatus === "replaced" || row.paidAmount === "0");
    const done = rows.filter((row) => !retry.includes(row));
    const externalId = retry[0]?.externalId ?? paymentExternalId(state.address, position.holder, done.length + 1);
    toPay.push({ position, externalId, supersedes: retry.map((row) => row.id) });
    plan.total += position.due;
  }
  for (let start = 0; start < toPay.length; start += batchSize) plan.batches.push(toPay.slice(start, start + batchSize));
  return plan;
}

/**
 * Gas for payBatch, fixed rather than estimated because a batch prepared while earlier transactions
 * (the deposit) are unmined cannot be estimated. Measured with bench/payout-gas.ts, every holder new
 * to the payout currency: 125,614 for one holder with a KYC check, then about 61,000 per holder in
 * batches of 100 (docs/payouts.md). 100,000 + 75,000 per holder leaves room for a dearer currency
 * token (a proxy, a fee) without reserving far more than is used.
 */
export function payBatchGas(holders: number): bigint {
  return 100_000n + 75_000n * BigInt(holders);
}

export interface DividendsResult {
  state: PayoutState;
  plan: DividendPlan;
  prepared: PreparedTransaction[];
  reconciled: number;
}

/** Holders per payBatch: about 61,000 gas each, so 300 stay well under a block's gas. */
export const PAYOUT_BATCH_SIZES: CountRange = { min: 1, max: 300 };

/**
 * Prepares `payBatch` transactions paying every eligible holder at the checkpoint what is due to it,
 * and records one payment row per holder in the same database transaction. Re-running prepares
 * nothing for holders already paid or with a payment on its way.
 */
export async function prepareDividends(
  env: TxEnvironment,
  payoutAddress: string,
  options: { batchSize: number; transferAmount?: string; onProgress?: ProgressListener },
): Promise<DividendsResult> {
  checkCount(options.batchSize, "batchSize", PAYOUT_BATCH_SIZES);
  const reconciled = await reconcilePayments(env, payoutAddress);
  const state = await readPayoutState(env, payoutAddress, options.onProgress);
  if (state.expired) throw new StoError(`payout ${state.name} (${payoutAddress}) has expired: no more payments; reclaim the rest with "sto payout-reclaim"`);
  await requireRole(contractAt(env, "Payout", payoutAddress), "PAYER_ROLE", env.address, "paying dividends");
  if (state.totalFunded === 0n) {
    throw new StoError(`payout ${state.name} (${payoutAddress}) holds no funds: run "sto payout-approve" and "sto payout-deposit" and wait until the deposit is mined ("sto tx-update")`);
  }
  const plan = planDividends(state, await paymentsOf(env, payoutAddress), options.batchSize);
  if (options.transferAmount !== undefined) {
    const limit = parseTokenAmount(options.transferAmount, state.currency.decimals, "transferAmount");
    if (plan.total > limit) {
      const symbol = state.currency.symbol;
      throw new InputError(
        "transferAmount",
        `this run would pay ${formatTokenAmount(plan.total, state.currency.decimals)} ${symbol}, more than the ${formatTokenAmount(limit, state.currency.decimals)} ${symbol} allowed; nothing prepared`,
      );
    }
  }
  const decimals = state.currency.decimals;
  const prepared = await prepareTransactions(
    env,
    (builder) => {
      plan.batches.forEach((batch, index) => {
        const amount = batch.reduce((sum, payment) => sum + payment.position.due, 0n);
        builder.call(
          "Payout",
          payoutAddress,
          "payBatch",
          [batch.map((payment) => payment.position.holder)],
          `Paying ${state.name}: ${formatTokenAmount(amount, decimals)} ${state.currency.symbol} to ${counted(batch.length, "holder")} (batch ${index + 1} of ${plan.batches.length})`,
          { gasLimit: payBatchGas(batch.length) },
        );
      });
    },
    {
      fallbackGas: PAYOUT_FALLBACK_GAS,
      afterInsert: async (rows, sql) => {
        const now = nowIso();
        for (const [index, batch] of plan.batches.entries()) {
          for (const payment of batch) {
            for (const id of payment.supersedes) {
              await sql.run("UPDATE payout_payments SET superseded_at = ? WHERE id = ? AND superseded_at IS NULL", [now, id]);
            }
            try {
              await sql.run(
                `INSERT INTO payout_payments (network, chain_id, payout_address, holder, external_id, amount, shares, transaction_id, created_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
                [
                  env.network,
                  env.chainId,
                  payoutAddress,
                  payment.position.holder,
                  payment.externalId,
                  payment.position.due.toString(),
                  payment.position.shares.toString(),
                  rows[index].id,
                  now,
                ],
              );
            } catch (error) {
              if (isUniqueViolation(error)) {
                throw new StoError(`payment ${payment.externalId} was prepared by another sto process at the same time; nothing prepared, run payout-dividends again`);
              }
              throw error;
            }
          }
        }
      },
    },
  );
  return { state, plan, prepared, reconciled };
}
