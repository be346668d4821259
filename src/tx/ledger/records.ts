import type { SignedVersion } from "./ledger";

/*
 * The write-ahead record (a signed version written before it is sent) as both engines' ledgers
 * write it: the same statements and values; only the UPDATE's guard is written in each engine's SQL
 * (`tx_hash IS ?` / `IS NOT DISTINCT FROM`, `IN (...)` / `= ANY(...)`).
 */

/** The row's new signature, fees and gas limit: followed by the engine's guard `WHERE id = ? AND ...`. */
export const RECORD_SIGNED =
  "UPDATE prepared_transactions SET raw_transaction = ?, tx_hash = ?, gas_price = ?, max_fee_per_gas = ?, max_priority_fee_per_gas = ?, gas_limit = ?, signed_at = ?";

/** RECORD_SIGNED's values, then the guard's id and the hash the writer saw. */
export function recordSignedValues(version: SignedVersion): unknown[] {
  const { row } = version;
  return [
    version.rawTransaction,
    version.txHash,
    row.gasPrice,
    row.maxFeePerGas,
    row.maxPriorityFeePerGas,
    row.gasLimit,
    version.signedAt,
    version.transactionId,
    version.expect.txHash,
  ];
}

export const HAS_SIGNATURES = "SELECT 1 FROM transaction_signatures WHERE transaction_id = ? LIMIT 1";

export const INSERT_SIGNATURE =
  "INSERT INTO transaction_signatures (transaction_id, tx_hash, raw_transaction, gas_price, max_fee_per_gas, max_priority_fee_per_gas, gas_limit, signed_at, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

/**
 * INSERT_SIGNATURE's values: the version, and before it (when the row has no signature recorded
 * yet, `firstOfRow`) the earlier signature it keeps, so that it is recognised if mined.
 */
export function signatureValues(version: SignedVersion, firstOfRow: boolean): unknown[][] {
  const rows: unknown[][] = [];
  const earlier = version.keepEarlier;
  if (earlier && firstOfRow) {
    rows.push([
      version.transactionId,
      earlier.txHash,
      earlier.rawTransaction,
      earlier.gasPrice,
      earlier.maxFeePerGas,
      earlier.maxPriorityFeePerGas,
      earlier.gasLimit,
      earlier.signedAt,
      "original",
    ]);
  }
  const { signature } = version;
  rows.push([
    version.transactionId,
    version.txHash,
    version.rawTransaction,
    signature.gasPrice,
    signature.maxFeePerGas,
    signature.maxPriorityFeePerGas,
    signature.gasLimit,
    version.signedAt,
    version.kind,
  ]);
  return rows;
}
