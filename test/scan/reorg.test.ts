import { id } from "ethers";
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
import { startRpcProxy } from "../helpers/rpc-proxy";

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

/** The blocks the database remembers for a token, highest first. */
function remembered(db: SqliteDatabase, tokenId: number): { blockNumber: number; blockHash: string; timestamp: number }[] {
  return db.sqlite
    .prepare("SELECT block_number AS blockNumber, block_hash AS blockHash, timestamp FROM scan_blocks WHERE token_id = ? ORDER BY block_number DESC")
    .all(tokenId) as { blockNumber: number; blockHash: string; timestamp: number }[];
}

/** Makes the database remember a hash the chain never had for these blocks (a replaced block). */
function replaceRemembered(db: SqliteDatabase, tokenId: number, blocks: number[]): void {
  const update = db.sqlite.prepare("UPDATE scan_blocks SET block_hash = ? WHERE token_id = ? AND block_number = ?");
  for (const block of blocks) expect(update.run(`0x${"de".repeat(32)}`, tokenId, block).changes).toBe(1);
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
  // checkReorg rolls back to the highest remembered block still on the chain, no further: each case
  // below asserts the exact first block scanned again. Kills the mutants of checkReorg that only
  // rolled back deeper than needed (which the tests above, asserting "at least back to the replaced
  // block", let through): `lowestReplaced < 0` as `<= 0` (a replaced tip block ignored), the
  // in-window branch forced either way or emptied, `keep ?? startBlock - 1` as `&&`, `target + 1`
  // as `target - 1`, and every mutant of the walk below the window (never run before: no test
  // replaced the deepest block of the window), which either crashes, loops or rolls back too far.
  it("rolls back exactly to the highest remembered block still on the chain, walking below the window when needed", async () => {
    const token = await deploySecurityToken(chain, chain.wallets[0]);
    const tokenAddress = await token.getAddress();
    const history = await securityTokenHistory(chain, token, { seed: 61, operations: 10, passiveHolders: 8 });
    await chain.mine(25);
    const temp = tempDatabase();
    try {
      const first = await scanner(temp.db, tokenAddress, { reorgWindow: 10 }).scan();
      const tokenId = first.token.id;
      const rescanAfter = async (replaced: number[]) => {
        replaceRemembered(temp.db, tokenId, replaced);
        const rescan = await scanner(temp.db, tokenAddress, { reorgWindow: 10 }).scan();
        const reorgs = rescan.rollbacks.filter((rollback) => rollback.reason === "reorg");
        expect(reorgs).toHaveLength(1);
        expect(reorgs[0].toBlock).toBe(rescan.previousScannedTo);
        return reorgs[0].fromBlock;
      };

      // Only the newest remembered block replaced: that block alone is scanned again.
      let blocks = remembered(temp.db, tokenId);
      expect(blocks[0].blockNumber).toBe(first.toBlock);
      expect(await rescanAfter([blocks[0].blockNumber])).toBe(blocks[0].blockNumber);

      // A block inside the window of 10: back to the remembered block below it, which is on the chain.
      blocks = remembered(temp.db, tokenId);
      expect(await rescanAfter([blocks[4].blockNumber])).toBe(blocks[5].blockNumber + 1);

      // The deepest block of the window (the ones above it unchanged): the walk below the window
      // finds the highest older remembered block on the chain.
      blocks = remembered(temp.db, tokenId);
      expect(blocks.length).toBeGreaterThan(11);
      expect(await rescanAfter([blocks[9].blockNumber])).toBe(blocks[10].blockNumber + 1);

      // Every remembered block replaced: nothing is kept, the token is scanned again from its start.
      blocks = remembered(temp.db, tokenId);
      expect(await rescanAfter(blocks.map((block) => block.blockNumber))).toBe(first.token.startBlock);
      await expectDatabaseIsTheChain(chain, temp.db, token, history.holders, [...history.blocks, await chain.blockNumber()]);
    } finally {
      temp.cleanup();
    }
  });

  // Kills, in chunkBlocks: the loop over the events emptied (blocks holding events not remembered,
  // so their dates and the reorg check lose them), and the near-tip range mutated (`latest -
  // window - 1`: two blocks too many; `latest + window` and `block <= to` as false: the blocks near
  // the tip not remembered, so checkReorg sees only the chunk's ends there).
  it("remembers exactly the blocks holding events, each chunk's first and last block and every block near the tip, with the chain's hashes and times", async () => {
    const token = await deploySecurityToken(chain, chain.wallets[0]);
    const tokenAddress = await token.getAddress();
    await securityTokenHistory(chain, token, { seed: 71, operations: 8, passiveHolders: 6 });
    await chain.mine(30);
    const temp = tempDatabase();
    try {
      const result = await scanner(temp.db, tokenAddress, { reorgWindow: 10, blockRange: { initial: 5_000, max: 5_000 } }).scan();
      expect(result.chunks).toBe(1);
      const transferTopic = id("Transfer(address,address,uint256)");
      const logs = await chain.provider.getLogs({ address: tokenAddress, topics: [transferTopic], fromBlock: result.fromBlock, toBlock: result.toBlock });
      const expected = new Set<number>([...logs.map((log) => log.blockNumber), result.fromBlock, result.toBlock]);
      for (let block = result.latestBlock - 10 + 1; block <= result.toBlock; block++) expected.add(block);
      const stored = remembered(temp.db, result.token.id);
      expect(stored.map((block) => block.blockNumber)).toEqual([...expected].sort((a, b) => b - a));
      for (const block of stored) {
        const onChain = await chain.provider.getBlock(block.blockNumber);
        expect(block.blockHash).toBe(onChain?.hash);
        expect(block.timestamp).toBe(onChain?.timestamp);
      }
    } finally {
      temp.cleanup();
    }
  });

  // The chain is replaced between the chunk's eth_getLogs and its block headers, below the chunk's
  // last block and above its first: the logs name blocks of the old chain, the headers are the new
  // chain's. Kills `header.hash !== logHash` forced false in chunkBlocks: the chunk would be stored
  // with the new chain's hashes over the old chain's events, and no later check could tell.
  it("refuses a chunk whose logs and headers come from different chains", async () => {
    const token = await deploySecurityToken(chain, chain.wallets[0]);
    const tokenAddress = await token.getAddress();
    const common = await securityTokenHistory(chain, token, { seed: 81, operations: 6, passiveHolders: 6 });
    const snapshot = await chain.snapshot();
    const orphaned = await securityTokenHistory(chain, token, { seed: 82, operations: 8, passiveHolders: 6 });
    const tip = await chain.blockNumber();
    let replacement: History | undefined;
    let replaced = false;
    const proxy = await startRpcProxy(chain.url, {
      onRequest: async (request, phase) => {
        if (replaced || phase !== "received" || !request.method.includes("eth_getBlockByNumber")) return;
        replaced = true;
        await chain.revert(snapshot);
        await chain.provider.send("evm_increaseTime", [1_000]);
        replacement = await securityTokenHistory(chain, token, { seed: 83, operations: 8, passiveHolders: 6 });
        await chain.mine(Math.max(0, tip + 2 - (await chain.blockNumber())));
      },
    });
    const temp = tempDatabase();
    try {
      await localScanner(proxy.url, temp.db, tokenAddress, {
        retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
        endBlock: tip,
        blockRange: { initial: 5_000, max: 5_000 },
      }).scan();
      expect(replaced).toBe(true);
      await expectDatabaseIsTheChain(chain, temp.db, token, union(common, orphaned, replacement as History), [...common.blocks, tip]);
    } finally {
      temp.cleanup();
      await proxy.close();
    }
  });
  // The node answers the chunk's logs, then no longer knows the chunk's last blocks (a node behind a
  // load balancer that lags the head it reported). Those blocks must not be left out of the chunk:
  // the scan waits and reads them again. Kills, in chunkBlocks, `if (header)` forced true (a crash on
  // the missing header) and the final `else { throw new ChainChanged() }` emptied (the chunk stored
  // without its last blocks, which the link to the next chunk and the reorg check then miss).
  it("reads the chunk again when the node no longer knows its last blocks, and remembers them all", async () => {
    const token = await deploySecurityToken(chain, chain.wallets[0]);
    const tokenAddress = await token.getAddress();
    const history = await securityTokenHistory(chain, token, { seed: 91, operations: 6, passiveHolders: 6 });
    await chain.mine(15);
    const lagging = await chain.snapshot();
    await chain.mine(5);
    const tip = await chain.blockNumber();
    let phase: "before" | "lagging" | "caught up" = "before";
    const proxy = await startRpcProxy(chain.url, {
      onRequest: async (request, stage) => {
        if (stage !== "received") return;
        if (phase === "before" && request.method.includes("eth_getBlockByNumber")) {
          phase = "lagging";
          await chain.revert(lagging);
        } else if (phase === "lagging" && request.method === "eth_getLogs") {
          phase = "caught up";
          await chain.mine(tip + 2 - (await chain.blockNumber()));
        }
      },
    });
    const temp = tempDatabase();
    try {
      const result = await localScanner(proxy.url, temp.db, tokenAddress, {
        retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
        endBlock: tip,
        reorgWindow: 10,
        blockRange: { initial: 5_000, max: 5_000 },
      }).scan();
      expect(phase).toBe("caught up");
      expect(result.toBlock).toBe(tip);
      const stored = remembered(temp.db, result.token.id).map((block) => block.blockNumber);
      for (let block = result.latestBlock - 10 + 1; block <= tip; block++) expect(stored).toContain(block);
      for (const block of remembered(temp.db, result.token.id)) expect(block.blockHash).toBe((await chain.provider.getBlock(block.blockNumber))?.hash);
      await expectDatabaseIsTheChain(chain, temp.db, token, history.holders, [...history.blocks, tip]);
    } finally {
      temp.cleanup();
      await proxy.close();
    }
  });
});
