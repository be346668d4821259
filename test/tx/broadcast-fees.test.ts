import { describe, expect, it } from "vitest";
import { broadcastFees, type BroadcastRow, type NetworkFees } from "../../src/tx/fees";

const GWEI = 1_000_000_000n;

/** Base fee 8 gwei (so that 9/8 of it is exact), priority 1 gwei, blocks of 1,000,000 gas. */
const NETWORK: NetworkFees = { blockGasLimit: 1_000_000n, baseFee: 8n * GWEI, priorityFee: GWEI, gasPrice: 9n * GWEI };
const DEFAULT_CAP = 2n * 8n * GWEI + GWEI;

function rows(count: number, gasLimit: bigint, value = 0n): BroadcastRow[] {
  return Array.from({ length: count }, () => ({ gasLimit, value }));
}

const caps = (decided: ReturnType<typeof broadcastFees>) => decided.fees.map((fees) => fees.maxFeePerGas);

describe("broadcastFees: the default cap allows for the blocks a broadcast fills itself", () => {
  it("keeps the default (2 × base fee + priority fee) while the earlier transactions fit in one block", () => {
    // 4 × 250,000 = 1,000,000: the fourth row's predecessors hold 750,000 gas, under one block.
    const decided = broadcastFees(NETWORK, rows(4, 250_000n));
    expect(caps(decided)).toEqual([DEFAULT_CAP, DEFAULT_CAP, DEFAULT_CAP, DEFAULT_CAP]);
    expect(decided.fees.every((fees) => fees.maxPriorityFeePerGas === GWEI)).toBe(true);
    expect(decided).toMatchObject({ blocks: 0, limitedByBalance: false });
  });

  it("raises a transaction's cap by 9/8 for each full block of gas before it", () => {
    // Predecessors' gas: 0, 0.4, 0.8, 1.2, 1.6, 2.0, 2.4 blocks.
    const decided = broadcastFees(NETWORK, rows(7, 400_000n));
    const cap = (blocks: number) => (16n * GWEI * 9n ** BigInt(blocks) + 8n ** BigInt(blocks) - 1n) / 8n ** BigInt(blocks) + GWEI;
    expect(caps(decided)).toEqual([cap(0), cap(0), cap(0), cap(1), cap(1), cap(2), cap(2)]);
    expect(cap(1)).toBe(19n * GWEI); // 16 × 9/8 + 1
    expect(cap(2)).toBe(21_250_000_000n); // 18 × 9/8 + 1
    expect(decided.blocks).toBe(2);
  });

  it("keeps the default when the in-flight limit keeps at most half a block of gas pending", () => {
    // 16 × 30,000 = 480,000 ≤ the 500,000 target: the broadcast alone never raises the base fee.
    const many = rows(200, 30_000n);
    expect(new Set(caps(broadcastFees(NETWORK, many, { maxInFlight: 16 })))).toEqual(new Set([DEFAULT_CAP]));
    // 17 × 30,000 passes the target: the raise applies; and without a limit, too.
    expect(broadcastFees(NETWORK, many, { maxInFlight: 17 }).blocks).toBe(5);
    expect(broadcastFees(NETWORK, many, { maxInFlight: 0 }).blocks).toBe(5);
    expect(broadcastFees(NETWORK, many).blocks).toBe(5);
  });

  it("raises no further than the balance pays for every transaction at its cap", () => {
    const seven = rows(7, 400_000n, 5n);
    const costAt = (decided: ReturnType<typeof broadcastFees>) => decided.fees.reduce((sum, fees) => sum + 400_000n * (fees.maxFeePerGas as bigint) + 5n, 0n);
    const full = broadcastFees(NETWORK, seven);
    // One wei short of the full raise: one block less, the last two rows capped as the ones before.
    const short = broadcastFees(NETWORK, seven, { balanceWei: costAt(full) - 1n });
    expect(short).toMatchObject({ blocks: 1, limitedByBalance: true });
    expect(caps(short).slice(3)).toEqual([19n * GWEI, 19n * GWEI, 19n * GWEI, 19n * GWEI]);
    expect(costAt(short)).toBeLessThanOrEqual(costAt(full) - 1n);
    // Exactly enough: the full raise.
    expect(broadcastFees(NETWORK, seven, { balanceWei: costAt(full) })).toMatchObject({ blocks: 2, limitedByBalance: false });
    // Not even the default is affordable: the default is kept (the node says what is missing).
    const poor = broadcastFees(NETWORK, seven, { balanceWei: 1n });
    expect(poor).toMatchObject({ blocks: 0, limitedByBalance: true });
    expect(new Set(caps(poor))).toEqual(new Set([DEFAULT_CAP]));
  });

  // Kills `windowGas(…) * 2n <= limit` as `<`: a window of exactly half a block keeps the default.
  it("keeps the default when the in-flight window holds exactly half a block, raises it one gas above", () => {
    expect(broadcastFees(NETWORK, rows(40, 50_000n), { maxInFlight: 10 })).toMatchObject({ blocks: 0, limitedByBalance: false });
    expect(broadcastFees(NETWORK, [...rows(39, 50_000n), { gasLimit: 50_001n, value: 0n }], { maxInFlight: 10 }).blocks).toBe(1);
  });

  // Kills windowGas's `if (sum > most)` forced true (the last window taken for the largest): the
  // heavy rows come first, the window of the last ones is light.
  it("judges the in-flight window by its heaviest stretch, not its last", () => {
    const heavyFirst = [...rows(2, 500_000n), ...rows(10, 21_000n)];
    // 2 × 500,000 in flight at once: more than half a block; the raise applies (1,189,000 gas, one
    // block, before the last row), though the last two in flight ask for 42,000 only.
    expect(broadcastFees(NETWORK, heavyFirst, { maxInFlight: 2 }).blocks).toBe(1);
  });

  // Kills the search's `cost(middle) <= balanceWei` as `<`: a balance of exactly the cost of fewer
  // blocks than wanted pays for those blocks.
  it("a balance of exactly the cost of one block fewer pays for that block", () => {
    const seven = rows(7, 400_000n);
    const oneBlock = 400_000n * (3n * DEFAULT_CAP + 4n * 19n * GWEI);
    expect(broadcastFees(NETWORK, seven, { balanceWei: oneBlock })).toMatchObject({ blocks: 1, limitedByBalance: true });
    expect(broadcastFees(NETWORK, seven, { balanceWei: oneBlock - 1n })).toMatchObject({ blocks: 0, limitedByBalance: true });
  });

  // Kills `blocksBefore[…] ?? 0` as `&& 0` (blocks undefined for no rows).
  it("no rows: no fees, no blocks", () => {
    expect(broadcastFees(NETWORK, [], { balanceWei: 0n })).toEqual({ fees: [], blocks: 0, limitedByBalance: false });
  });

  // A node reporting a block gas limit of 0 (a fallback of 1 gas a block made every gas unit a
  // block: caps raised thousands of times, as far as the balance allowed, after seconds of
  // arithmetic; 10 rows and no balance did not finish): the default caps.
  it("a block gas limit of 0: the default caps, at once", () => {
    const decided = broadcastFees({ ...NETWORK, blockGasLimit: 0n }, rows(10, 21_000n), { maxInFlight: 4 });
    expect(decided).toMatchObject({ blocks: 0, limitedByBalance: false });
    expect(new Set(caps(decided))).toEqual(new Set([DEFAULT_CAP]));
  });

  it("counts rows signed by an earlier run at their recorded cap, and their gas before the later ones", () => {
    const signed: BroadcastRow[] = [{ gasLimit: 900_000n, value: 0n, signedCap: 100n * GWEI }, ...rows(2, 400_000n)];
    const decided = broadcastFees(NETWORK, signed);
    expect(caps(decided).slice(1)).toEqual([DEFAULT_CAP, 19n * GWEI]);
    // The balance pays the recorded cap of the first and the default of the others, not the raise.
    const balance = 900_000n * 100n * GWEI + 2n * 400_000n * DEFAULT_CAP;
    expect(broadcastFees(NETWORK, signed, { balanceWei: balance })).toMatchObject({ blocks: 0, limitedByBalance: true });
  });
});
