import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SqliteDatabase } from "../../src/db/database";
import { TokenScanner, type ScanOptions } from "../../src/scan/scanner";
import type { RetryPolicy } from "../../src/chain/rpc";
import {
  deploySecurityToken,
  securityTokenHistory,
  startScanChain,
  tempDatabase,
  type History,
  type ScanChain,
  localScanner,
} from "../helpers/scan-fixtures";
import { expectDatabaseIsTheChain } from "../helpers/scan-expect";

let chain: ScanChain;
beforeAll(async () => {
  chain = await startScanChain();
});
afterAll(async () => {
  await chain?.close();
});

function scanner(db: SqliteDatabase, tokenAddress: string, extra: Partial<ScanOptions> & { retry?: Partial<RetryPolicy> } = {}): TokenScanner {
  return localScanner(chain.url, db, tokenAddress, { retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 }, ...extra });
}

async function blockHashes(from: number, to: number): Promise<string[]> {
  const hashes: string[] = [];
  for (let block = from; block <= to; block++) {
    hashes.push((await chain.provider.getBlock(block))?.hash ?? "");
  }
  return hashes;
}

function union(...histories: History[]): string[] {
  return [...new Set(histories.flatMap((history) => history.holders))];
}

describe("token-scan across chain reorganisations", () => {
  it("drops the replaced blocks and rescans when the chain it scanned was replaced by a longer one", async () => {
    const issuer = chain.wallets[0];
    const token = await deploySecurityToken(chain, issuer);
    const tokenAddress = await token.getAddress();
    const common = await securityTokenHistory(chain, token, { seed: 21, operations: 10, passiveHolders: 15 });
    const forkPoint = await chain.blockNumber();
    const snapshot = await chain.snapshot();
    const orphaned = await securityTokenHistory(chain, token, { seed: 22, operations: 12, passiveHolders: 15 });
    const orphanedTip = await chain.blockNumber();

    const hashesBefore = await blockHashes(forkPoint + 1, orphanedTip);
    const temp = tempDatabase();
    try {
      await scanner(temp.db, tokenAddress).scan();
      await chain.revert(snapshot);
      expect(await chain.blockNumber()).toBe(forkPoint);
      const replacement = await securityTokenHistory(chain, token, { seed: 23, operations: 8, passiveHolders: 20 });
      await chain.mine(orphanedTip - (await chain.blockNumber()) + 3);
      expect(await chain.blockNumber()).toBeGreaterThan(orphanedTip);

      const rescan = await scanner(temp.db, tokenAddress).scan();
      expect(rescan.rollbacks.length).toBeGreaterThanOrEqual(1);
      const rollback = rescan.rollbacks[0];
      expect(rollback.reason).toBe("reorg");
      expect(rollback.toBlock).toBe(orphanedTip);
      // The rollback reaches back at least to the first replaced block (the first blocks after the
      // snapshot may come out identical: same transaction, same second).
      const hashesAfter = await blockHashes(forkPoint + 1, orphanedTip);
      const firstReplaced = forkPoint + 1 + hashesAfter.findIndex((hash, index) => hash !== hashesBefore[index]);
      expect(firstReplaced).toBeGreaterThan(forkPoint);
      expect(rollback.fromBlock).toBeLessThanOrEqual(firstReplaced);
      expect(rescan.toBlock).toBe(await chain.blockNumber());
      const blocks = [forkPoint - 2, forkPoint, ...replacement.blocks, await chain.blockNumber()];
      await expectDatabaseIsTheChain(chain, temp.db, token, union(common, orphaned, replacement), blocks);
    } finally {
      temp.cleanup();
    }
  });

  it("handles a replacement chain that is shorter than the scanned one", async () => {
    const token = await deploySecurityToken(chain, chain.wallets[0]);
    const tokenAddress = await token.getAddress();
    const common = await securityTokenHistory(chain, token, { seed: 31, operations: 6, passiveHolders: 10 });
    const snapshot = await chain.snapshot();
    const orphaned = await securityTokenHistory(chain, token, { seed: 32, operations: 10, passiveHolders: 10 });
    const temp = tempDatabase();
    try {
      await scanner(temp.db, tokenAddress).scan();
      await chain.revert(snapshot);
      const replacement = await securityTokenHistory(chain, token, { seed: 33, operations: 3, passiveHolders: 10 });
      const rescan = await scanner(temp.db, tokenAddress).scan();
      expect(rescan.rollbacks.map((rollback) => rollback.reason)).toContain("reorg");
      expect(rescan.token.scannedToBlock).toBe(await chain.blockNumber());
      await expectDatabaseIsTheChain(chain, temp.db, token, union(common, orphaned, replacement), replacement.blocks);
    } finally {
      temp.cleanup();
    }
  });

  it("checks every remembered block near the tip, not only the last one", async () => {
    // A scan that crossed a reorganisation can hold a block of the replaced chain below a last block
    // of the right one. Simulated by overwriting one remembered hash in the middle of the window.
    const token = await deploySecurityToken(chain, chain.wallets[0]);
    const tokenAddress = await token.getAddress();
    const history = await securityTokenHistory(chain, token, { seed: 35, operations: 12, passiveHolders: 10 });
    const temp = tempDatabase();
    try {
      const first = await scanner(temp.db, tokenAddress).scan();
      const replaced = history.blocks[history.blocks.length - 4];
      const changed = temp.db.sqlite
        .prepare("UPDATE scan_blocks SET block_hash = ? WHERE block_number = ?")
        .run(`0x${"de".repeat(32)}`, replaced);
      expect(changed.changes).toBe(1);
      const rescan = await scanner(temp.db, tokenAddress).scan();
      expect(rescan.rollbacks).toHaveLength(1);
      expect(rescan.rollbacks[0].reason).toBe("reorg");
      expect(rescan.rollbacks[0].fromBlock).toBeLessThanOrEqual(replaced);
      expect(rescan.rollbacks[0].toBlock).toBe(first.toBlock);
      await expectDatabaseIsTheChain(chain, temp.db, token, history.holders, [replaced - 1, replaced, first.toBlock]);
    } finally {
      temp.cleanup();
    }
  });

  it("notices a reorganisation that happens while it scans", async () => {
    const token = await deploySecurityToken(chain, chain.wallets[0]);
    const tokenAddress = await token.getAddress();
    const common = await securityTokenHistory(chain, token, { seed: 41, operations: 8, passiveHolders: 10 });
    const snapshot = await chain.snapshot();
    const orphaned = await securityTokenHistory(chain, token, { seed: 42, operations: 12, passiveHolders: 10 });
    const tip = await chain.blockNumber();
    const temp = tempDatabase();
    let replacement: History | undefined;
    try {
      let reorganised = false;
      const result = await scanner(temp.db, tokenAddress, {
        endBlock: tip,
        blockRange: { initial: 2, max: 2 },
        afterChunk: async (scannedTo) => {
          // Once the scan has read into the blocks about to be replaced, replace them.
          if (reorganised || scannedTo < tip - 4) return;
          reorganised = true;
          await chain.revert(snapshot);
          replacement = await securityTokenHistory(chain, token, { seed: 43, operations: 14, passiveHolders: 10 });
          await chain.mine(Math.max(0, tip + 2 - (await chain.blockNumber())));
        },
      }).scan();
      expect(reorganised).toBe(true);
      expect(result.rollbacks.map((rollback) => rollback.reason)).toContain("reorg");
      expect(replacement).toBeDefined();
      await expectDatabaseIsTheChain(chain, temp.db, token, union(common, orphaned, replacement as History), [tip - 6, tip]);
      // The remaining blocks after the requested end are picked up by the next run.
      await scanner(temp.db, tokenAddress).scan();
      await expectDatabaseIsTheChain(chain, temp.db, token, union(common, orphaned, replacement as History), [await chain.blockNumber()]);
    } finally {
      temp.cleanup();
    }
  });

  it("notices a replaced block deep below the tip by the link between chunks, not only by the final check", async () => {
    // The reorganisation replaces blocks that the scan has already stored, then the scan goes on far
    // past the reorg window on the new chain: the final check of the blocks near the tip sees only
    // new-chain blocks. Only the parent hash of the next chunk's first block shows the change.
    const token = await deploySecurityToken(chain, chain.wallets[0]);
    const tokenAddress = await token.getAddress();
    const common = await securityTokenHistory(chain, token, { seed: 51, operations: 6, passiveHolders: 8 });
    const forkBlock = await chain.blockNumber();
    const snapshot = await chain.snapshot();
    const orphaned = await securityTokenHistory(chain, token, { seed: 52, operations: 6, passiveHolders: 8 });
    const lastOrphaned = Math.max(...orphaned.blocks);
    await chain.mine(40);
    const tip = await chain.blockNumber();
    const temp = tempDatabase();
    let replacement: History | undefined;
    try {
      let reorganisedAfter: number | undefined;
      const result = await scanner(temp.db, tokenAddress, {
        endBlock: tip,
        blockRange: { initial: 2, max: 2 },
        reorgWindow: 10,
        afterChunk: async (scannedTo) => {
          if (reorganisedAfter !== undefined || scannedTo < lastOrphaned) return;
          reorganisedAfter = scannedTo;
          await chain.revert(snapshot);
          // Without this the replacement's first block could equal the orphaned one (same transaction,
          // mined in the same second), and the chains would really part one block later.
          await chain.provider.send("evm_increaseTime", [1_000]);
          replacement = await securityTokenHistory(chain, token, { seed: 53, operations: 6, passiveHolders: 8 });
          await chain.mine(Math.max(0, tip + 2 - (await chain.blockNumber())));
        },
      }).scan();
      // The replacement happened far below the part the final check looks at.
      expect(reorganisedAfter).toBeDefined();
      expect(tip - (reorganisedAfter as number)).toBeGreaterThan(30);
      const reorgs = result.rollbacks.filter((rollback) => rollback.reason === "reorg");
      expect(reorgs.length).toBeGreaterThan(0);
      expect(Math.min(...reorgs.map((rollback) => rollback.fromBlock))).toBeLessThanOrEqual(forkBlock + 1);
      await expectDatabaseIsTheChain(chain, temp.db, token, union(common, orphaned, replacement as History), [lastOrphaned, tip]);
    } finally {
      temp.cleanup();
    }
  });
});
