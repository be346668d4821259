import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestChain, type TestChain } from "../helpers/chain";
import { measureGas, overheadPercent, type GasFigures } from "../../bench/gas-scenarios";

// The targets of docs/gas.md. `npx tsx bench/gas.ts` prints the full tables.
let chain: TestChain;
let figures: GasFigures;

beforeAll(async () => {
  chain = await startTestChain();
  figures = await measureGas(chain);
});

afterAll(async () => {
  await chain?.close();
});

describe("gas targets (unrestricted token)", () => {
  it("a transfer with no checkpoint since the accounts last changed costs at most 10% more than OZ ERC20", () => {
    const { newHolder, existingHolder, newHolderWithCheckpoints, existingHolderWithCheckpoints } = figures.transfers;
    for (const row of [newHolder, existingHolder, newHolderWithCheckpoints, existingHolderWithCheckpoints]) {
      expect(overheadPercent(row), row.scenario).toBeLessThanOrEqual(10);
    }
  });

  it("batchTransfer costs at most 26,000 gas per new holder", () => {
    expect(figures.batches.newHolders.perReceiver).toBeLessThanOrEqual(26_000n);
    expect(figures.batches.newHoldersWithCheckpoints.perReceiver).toBeLessThanOrEqual(26_000n);
  });

  it("batchTransfer costs at most 9,000 gas per existing holder", () => {
    expect(figures.batches.existingHolders.perReceiver).toBeLessThanOrEqual(9_000n);
    expect(figures.batches.existingHoldersWithCheckpoints.perReceiver).toBeLessThanOrEqual(9_000n);
  });

  it("a receiver with a zero balance writes no history entry after a checkpoint", () => {
    // A history entry is a fresh storage slot (over 20,000 gas): new holders after a checkpoint
    // must cost about the same as new holders before any checkpoint.
    const { newHolders, newHoldersWithCheckpoints } = figures.batches;
    expect(newHoldersWithCheckpoints.perReceiver - newHolders.perReceiver).toBeLessThan(1_000n);
  });
});

describe("gas target (kyc token)", () => {
  it("a kyc transfer with a lock-up tranche, a holder limit and a class rule costs at most 1.35x an OZ transfer", () => {
    const { kycExistingHolder } = figures.transfers;
    // oz * 1.35, in integers.
    expect(kycExistingHolder.sto * 100n, kycExistingHolder.scenario).toBeLessThanOrEqual(kycExistingHolder.oz! * 135n);
  });
});
