import { TX_STATUSES, type TxStatus } from "../../db/schema";

export { TX_STATUSES, type TxStatus };

/**
 * The status machine of a prepared transaction: for each status, the statuses a row may move to
 * and the command that moves it. A status not listed as a source is final. Staying in the same
 * status is allowed where listed (tx-update refreshes block and confirmations, tx-broadcast
 * resends). Every status change of the ledger is checked against this table.
 *
 *   (prepare)    → waiting
 *   waiting      → broadcasted (tx-broadcast, tx-bump, tx-cancel), exported (tx-export --format safe)
 *   broadcasted  → broadcasted, mining, success, failed, dropped (tx-update; tx-broadcast resends)
 *   mining       → broadcasted, mining, success, failed, dropped (tx-update)
 *   dropped      → broadcasted (tx-broadcast, tx-bump, tx-cancel), dropped, mining, success, failed (tx-update)
 *   success      → broadcasted, dropped, mining, success, failed (tx-update, only when the block
 *                  the success was recorded in is no longer on the chain: a reorganisation deeper
 *                  than the confirmations; anvil_reorg or a reverted snapshot on a development chain)
 *   failed, exported, replaced: final (a failure is never reopened: a distribution may already
 *                  have prepared the payment again, and resending the failed one could pay twice)
 *
 * "replaced" is a status of old databases only: fee bumps replace a signature
 * (transaction_signatures.status), never a transaction. "verified" is not a status: tx-verify
 * records verified_at on a successful deployment.
 */
export const TRANSITIONS: Readonly<Record<TxStatus, readonly TxStatus[]>> = {
  waiting: ["broadcasted", "exported"],
  broadcasted: ["broadcasted", "mining", "success", "failed", "dropped"],
  mining: ["broadcasted", "mining", "success", "failed", "dropped"],
  dropped: ["broadcasted", "dropped", "mining", "success", "failed"],
  success: ["broadcasted", "dropped", "mining", "success", "failed"],
  failed: [],
  exported: [],
  replaced: [],
};

/** Whether a row in status `from` may move to `to`. */
export function canMove(from: TxStatus, to: TxStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Stops a status change the machine does not allow: a bug, never a user error. */
export function checkMove(from: TxStatus, to: TxStatus, nonce: number): void {
  if (!canMove(from, to)) throw new Error(`transaction nonce ${nonce}: status ${from} cannot become ${to}`);
}

/**
 * A status nothing moves a row out of: the outcome is known (failed) or the transaction left sto.
 * A recorded success changes only if its block leaves the chain.
 */
export function isFinal(status: TxStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/** Statuses of a transaction that may still be mined (dropped ones are sent again by tx-broadcast). */
export const UNMINED_STATUSES: readonly TxStatus[] = ["waiting", "broadcasted", "mining", "dropped"];

/**
 * Statuses tx-broadcast sends (or resends) from. A mining row may go back to broadcasted too, but
 * only through tx-update (its block was reorganised away); tx-broadcast leaves it alone.
 */
export const SENDABLE_STATUSES: readonly TxStatus[] = ["waiting", "broadcasted", "dropped"];

/** Statuses tx-update looks for a result of: sent, not final. */
export const AWAITING_RESULT_STATUSES: readonly TxStatus[] = ["broadcasted", "mining", "dropped"];

/** Statuses of a recorded result that tx-update checks is still on the chain. */
export const REORG_CHECKED_STATUSES: readonly TxStatus[] = ["success"];

/** Statuses of a transaction tx-bump and tx-cancel may re-sign: not mined, and sendable again. */
export const REPLACEABLE_STATUSES: readonly TxStatus[] = SENDABLE_STATUSES;

/** Statuses of a deployment whose address commands may use: every status but failed and exported. */
export const LIVE_DEPLOYMENT_STATUSES: readonly TxStatus[] = ["waiting", "broadcasted", "mining", "success", "dropped"];
