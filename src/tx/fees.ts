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

/** What broadcastFees needs of each transaction of a broadcast, in nonce order. */
export interface BroadcastRow {
  gasLimit: bigint;
  value: bigint;
  /** The fee cap (max fee per gas, or gas price) of a row signed by an earlier run: its bytes are sent as they are. */
  signedCap?: bigint;
}

export interface BroadcastFees {
  /** The fees of a fresh signature of each row (unused for rows signed earlier). */
  fees: Fees[];
  /** Full blocks allowed for at the last row: its cap is 2 × base fee × (9/8)^blocks + priority fee. */
  blocks: number;
  /** Fewer blocks were allowed for than the broadcast may fill: the account's balance could not pay for more. */
  limitedByBalance: boolean;
}

/**
 * The fee caps of one broadcast's fresh signatures. A broadcast large enough to fill blocks raises
 * the base fee by itself: by 12.5 % per full block (EIP-1559), and at most that much per block's
 * worth of our gas. So the default cap (twice the base fee at signing, plus the priority fee) of a
 * transaction is raised by 9/8 for each full block the gas limits of the broadcast's transactions
 * before it can fill: 2 × base × (9/8)^⌊gas before ÷ block gas limit⌋ + priority. Unchanged for a
 * broadcast whose earlier transactions fit in one block, and for one whose in-flight limit keeps
 * at most half a block (the gas target, which does not raise the base fee) of ours pending at once
 * (e.g. --max-in-flight 16 of ordinary transactions).
 *
 * The account must afford every transaction's gas limit × cap (+ value) — nodes refuse a
 * transaction the balance cannot pay at its cap, geth counting the account's pending ones too —
 * so the raise stops at the most blocks whose caps the balance pays for all the broadcast's
 * transactions together; when not even the default is affordable, the default is kept.
 */
export function broadcastFees(network: NetworkFees, rows: readonly BroadcastRow[], options: { maxInFlight?: number; balanceWei?: bigint } = {}): BroadcastFees {
  // A node that reports no block gas limit (0) gives nothing to count blocks by: the default caps.
  const limit = network.blockGasLimit;
  const blocksBefore: number[] = [];
  let gasBefore = 0n;
  for (const row of rows) {
    blocksBefore.push(limit > 0n ? Number(gasBefore / limit) : 0);
    gasBefore += row.gasLimit;
  }
  const inFlight = options.maxInFlight && options.maxInFlight > 0 ? options.maxInFlight : 0;
  const wanted = inFlight > 0 && windowGas(rows, inFlight) * 2n <= limit ? 0 : (blocksBefore[blocksBefore.length - 1] ?? 0);
  const caps = capsByBlocks(network.baseFee, wanted);
  const cost = (most: number) =>
    rows.reduce((sum, row, index) => sum + row.value + row.gasLimit * (row.signedCap ?? caps[Math.min(blocksBefore[index], most)] + network.priorityFee), 0n);
  let blocks = wanted;
  if (options.balanceWei !== undefined && blocks > 0 && cost(blocks) > options.balanceWei) {
    // The most blocks the balance pays for (0: the default, kept even when it is not affordable).
    let low = 0;
    let high = blocks - 1;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (cost(middle) <= options.balanceWei) low = middle;
      else high = middle - 1;
    }
    blocks = low;
  }
  const fees = rows.map((_row, index): Fees => ({
    maxFeePerGas: caps[Math.min(blocksBefore[index], blocks)] + network.priorityFee,
    maxPriorityFeePerGas: network.priorityFee,
  }));
  return { fees, blocks, limitedByBalance: blocks < wanted };
}

/** 2 × baseFee × (9/8)^k rounded up, for k = 0..blocks. */
function capsByBlocks(baseFee: bigint, blocks: number): bigint[] {
  const caps = [baseFee * 2n];
  let numerator = baseFee * 2n;
  let denominator = 1n;
  for (let k = 1; k <= blocks; k++) {
    numerator *= 9n;
    denominator *= 8n;
    caps.push((numerator + denominator - 1n) / denominator);
  }
  return caps;
}

/** The most gas any `count` consecutive rows ask for together. */
function windowGas(rows: readonly BroadcastRow[], count: number): bigint {
  let sum = 0n;
  let most = 0n;
  for (const [index, row] of rows.entries()) {
    sum += row.gasLimit;
    if (index >= count) sum -= rows[index - count].gasLimit;
    if (sum > most) most = sum;
  }
  return most;
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
