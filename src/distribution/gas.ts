/**
 * Gas limits of distribution transactions, from a per-receiver model instead of one estimate per
 * transaction (a 10,000-row file must prepare in about a second; estimating 10,000 transfers one
 * by one takes minutes, and cannot work anyway for transactions that depend on unmined ones).
 *
 * The constants are the worst cases measured on SecurityToken with `npx tsx bench/distribution-gas.ts`
 * (docs/distribution.md): a restricted token, paying new holders or, once checkpoints exist,
 * existing holders right after a checkpoint (each then records its balance history, and so does the
 * sender). Without any checkpoint that case cannot happen, so the model knows whether the token has
 * checkpoints. One estimate of the first transaction per command scales the model up if the
 * contract turns out more expensive than measured.
 */
export interface GasModel {
  /** A `transfer` to one receiver. */
  transfer: bigint;
  /** The fixed part of a `batchTransfer`. */
  batchBase: bigint;
  /** What each receiver adds to a `batchTransfer`. */
  batchPerReceiver: bigint;
}

/** Measured: transfer to a new holder 66,333; batch about 38,600 + 28,700 per new holder. */
const WITHOUT_CHECKPOINTS: GasModel = { transfer: 67_000n, batchBase: 40_000n, batchPerReceiver: 29_000n };
/**
 * Measured: transfer to an existing holder right after a checkpoint, both recording history, 95,300
 * (restricted); batch about 61,000 (with the sender's history) + 34,400 per existing holder.
 */
const WITH_CHECKPOINTS: GasModel = { transfer: 96_000n, batchBase: 62_000n, batchPerReceiver: 34_800n };

/** Headroom over the measured worst case, in percent: state can differ at mining time. */
const MARGIN_PERCENT = 20n;

/**
 * What a lock-up adds per receiver (transferWithLockup, batchTransferWithLockup), worst case by
 * the storage it touches: the summary slot and a new tranche slot written from zero (2 × 22,100),
 * the TokensLocked event, and when earlier tranches are due, rolling up to 16 of them (16 cold
 * reads, 15 rewrites and TokensUnlocked). A smaller case measured in test/cli/cap-table-lockups.test.ts.
 */
const LOCKUP_GAS = 110_000n;

/** `lockups`: some receivers get a lock-up; every receiver is then assumed to (one limit per group size). */
export function gasModel(checkpointId: bigint | undefined, lockups = false): GasModel {
  // Unknown (a plain ERC-20): assume the expensive case rather than run out of gas.
  const model = checkpointId === 0n ? WITHOUT_CHECKPOINTS : WITH_CHECKPOINTS;
  if (!lockups) return model;
  return { transfer: model.transfer + LOCKUP_GAS, batchBase: model.batchBase, batchPerReceiver: model.batchPerReceiver + LOCKUP_GAS };
}

function withMargin(gas: bigint): bigint {
  return (gas * (100n + MARGIN_PERCENT) + 99n) / 100n;
}

/** The gas limit of a `transfer` to one receiver. */
export function transferGasLimit(model: GasModel): bigint {
  return withMargin(model.transfer);
}

/** The gas limit of a `batchTransfer` to `receivers` receivers. */
export function batchGasLimit(model: GasModel, receivers: number): bigint {
  return withMargin(model.batchBase + model.batchPerReceiver * BigInt(receivers));
}

/** The largest batch whose gas limit fits in `gasCap` (e.g. the block gas limit). */
export function largestBatchWithin(model: GasModel, gasCap: bigint, scale: { numerator: bigint; denominator: bigint }): number {
  let low = 0;
  let high = 100_000;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (scaled(batchGasLimit(model, mid), scale) <= gasCap) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** `gas` multiplied by a ratio, rounded up. */
export function scaled(gas: bigint, scale: { numerator: bigint; denominator: bigint }): bigint {
  return (gas * scale.numerator + scale.denominator - 1n) / scale.denominator;
}
