import { isNodeUnavailable } from "../chain/rpc";
import type { TransactionSignature } from "../db/schema";
import type { TxEnvironment } from "./environment";

/** The fee fields of one signature: gasPrice for legacy (type 0), the two EIP-1559 caps for type 2. */
export interface Fees {
  gasPrice?: bigint;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
}

/** What the network asks now. */
export interface NetworkFees {
  /** Gas limit of the latest block: no transaction can use more. */
  blockGasLimit: bigint;
  baseFee: bigint;
  priorityFee: bigint;
  gasPrice: bigint;
}

const FALLBACK_PRIORITY_FEE = 1_000_000_000n;

export async function networkFees(env: TxEnvironment): Promise<NetworkFees> {
  const block = await env.provider.getBlock("latest");
  const baseFee = block?.baseFeePerGas ?? 0n;
  let priorityFee: bigint;
  try {
    priorityFee = BigInt(await env.provider.send("eth_maxPriorityFeePerGas", []));
  } catch (error) {
    if (isNodeUnavailable(error)) throw error;
    // Nodes without the method (pre-London or minimal implementations).
    priorityFee = FALLBACK_PRIORITY_FEE;
  }
  let gasPrice: bigint;
  try {
    gasPrice = BigInt(await env.provider.send("eth_gasPrice", []));
  } catch (error) {
    if (isNodeUnavailable(error)) throw error;
    gasPrice = baseFee + priorityFee;
  }
  return { blockGasLimit: block?.gasLimit ?? 30_000_000n, baseFee, priorityFee, gasPrice };
}

/**
 * EIP-1559 fees for a first signature, decided at signing time (not when preparing, which may be
 * days earlier). Twice the base fee survives six full blocks of base fee increases.
 */
export function initialFees(network: NetworkFees): Fees {
  return { maxFeePerGas: network.baseFee * 2n + network.priorityFee, maxPriorityFeePerGas: network.priorityFee };
}

/** The node's replacement rule (geth, Nethermind, Hardhat): both fee caps at least 10% higher. */
export const MIN_FEE_BUMP_PERCENT = 10;
export const DEFAULT_FEE_BUMP_PERCENT = 15;

function raise(value: bigint, percent: number): bigint {
  // Rounded up, so that +10% of a small value is still a strict 10% increase.
  const scaled = BigInt(Math.round(percent * 100));
  return value + (value * scaled + 9_999n) / 10_000n;
}

const max = (...values: bigint[]): bigint => values.reduce((a, b) => (a > b ? a : b));

/**
 * Fees for a replacement of a transaction whose earlier versions are `previous`: each cap
 * `percent` above the highest any earlier version had (the node compares with the one it holds,
 * which may be any of them), and never below what the network asks now.
 */
export function bumpedFees(type: number, previous: Pick<TransactionSignature, "gasPrice" | "maxFeePerGas" | "maxPriorityFeePerGas">[], network: NetworkFees, percent: number): Fees {
  if (type === 0) {
    const highest = max(0n, ...previous.map((signature) => BigInt(signature.gasPrice ?? "0")));
    return { gasPrice: max(raise(highest, percent), network.gasPrice, 1n) };
  }
  const highestFee = max(0n, ...previous.map((signature) => BigInt(signature.maxFeePerGas ?? "0")));
  const highestPriority = max(0n, ...previous.map((signature) => BigInt(signature.maxPriorityFeePerGas ?? "0")));
  const maxPriorityFeePerGas = max(raise(highestPriority, percent), network.priorityFee, 1n);
  const maxFeePerGas = max(raise(highestFee, percent), network.baseFee * 2n + maxPriorityFeePerGas);
  return { maxFeePerGas, maxPriorityFeePerGas };
}

/** Gwei with up to 9 decimals, for messages. */
export function formatGwei(wei: bigint): string {
  const whole = wei / 1_000_000_000n;
  const fraction = (wei % 1_000_000_000n).toString().padStart(9, "0").replace(/0+$/, "");
  return fraction ? `${whole}.${fraction}` : whole.toString();
}

export function describeFees(fees: Fees): string {
  if (fees.gasPrice !== undefined) return `gas price ${formatGwei(fees.gasPrice)} gwei`;
  return `max fee ${formatGwei(fees.maxFeePerGas ?? 0n)} gwei, priority fee ${formatGwei(fees.maxPriorityFeePerGas ?? 0n)} gwei`;
}

/**
 * The lowest fee cap (max fee per gas, or the legacy gas price) among transactions whose cap is
 * below `baseFee`: a block cannot include them, and nodes such as anvil evict them from their pool
 * at once (geth keeps them), so sending the same bytes again is refused; only a higher fee
 * (tx-bump) gets them mined. Undefined when every cap covers the base fee.
 */
export function lowestCapBelow(rows: readonly { maxFeePerGas: string | null; gasPrice: string | null }[], baseFee: bigint): bigint | undefined {
  let lowest: bigint | undefined;
  for (const row of rows) {
    const cap = row.maxFeePerGas ?? row.gasPrice;
    if (cap === null) continue;
    const value = BigInt(cap);
    if (value < baseFee && (lowest === undefined || value < lowest)) lowest = value;
  }
  return lowest;
}
