import { describe, expect, it } from "vitest";
import { RpcError } from "../../src/chain/rpc";
import { findCreationBlock } from "../../src/scan/token-info";
import { seededRandom, testSeed } from "../helpers/random";

const SEED = testSeed("creation-block.test.ts");

/** A chain whose contract has code from block `creation` on; counts the rounds (round trips) and probes. */
function chain(creation: number) {
  const seen = { rounds: 0, probes: 0 };
  const hasCodeAt = async (blocks: number[]) => {
    seen.rounds++;
    seen.probes += blocks.length;
    return blocks.map((block) => block >= creation);
  };
  return { hasCodeAt, seen };
}

describe("the creation block, searched several blocks a round", () => {
  it("is the first block with code, for random chains and at the edges", async () => {
    const next = seededRandom(SEED);
    const cases: [number, number][] = [
      [0, 0],
      [0, 5],
      [1, 1],
      [1, 2],
      [7, 7],
      [8, 9],
      [20_000_000, 21_000_000],
      [1, 21_000_000],
      [21_000_000, 21_000_000],
    ];
    for (let i = 0; i < 300; i++) {
      const latest = Math.floor(next() * (i % 2 === 0 ? 100 : 30_000_000));
      cases.push([Math.floor(next() * (latest + 1)), latest]);
    }
    for (const [creation, latest] of cases) {
      for (const probes of [1, 2, 8]) {
        const { hasCodeAt, seen } = chain(creation);
        expect(await findCreationBlock(hasCodeAt, latest, probes), `creation ${creation}, latest ${latest}, ${probes} a round`).toBe(creation);
        // One probe a round is the binary search (plus the probe of block 0).
        const rounds = Math.ceil(Math.log(Math.max(2, latest)) / Math.log(probes + 1)) + 2;
        expect(seen.rounds, `creation ${creation}, latest ${latest}, ${probes} a round`).toBeLessThanOrEqual(rounds);
      }
    }
  });

  it("takes 8 round trips on a mainnet-sized chain where one probe a round took 25", async () => {
    const batched = chain(12_345_678);
    expect(await findCreationBlock(batched.hasCodeAt, 21_000_000)).toBe(12_345_678);
    expect(batched.seen.rounds).toBeLessThanOrEqual(9);
    const single = chain(12_345_678);
    expect(await findCreationBlock(single.hasCodeAt, 21_000_000, 1)).toBe(12_345_678);
    expect(single.seen.rounds).toBeGreaterThanOrEqual(24);
  });

  it("is unknown when the node keeps no historical state (an error answer), and a node failure goes through", async () => {
    const pruned = async () => {
      throw new RpcError("eth_getCode", -32000, "missing trie node", undefined);
    };
    expect(await findCreationBlock(pruned, 1000)).toBeUndefined();
    const down = async () => {
      throw new Error("socket hang up");
    };
    await expect(findCreationBlock(down, 1000)).rejects.toThrow(/socket hang up/);
  });
});
