import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type SqliteDatabase } from "../../src/db/database";
import { StoError } from "../../src/errors";
import { TokenScanner, type ScanOptions } from "../../src/scan/scanner";
import { deploySecurityToken, securityTokenHistory, startScanChain, tempDatabase, type ScanChain, localScanner } from "../helpers/scan-fixtures";
import { expectDatabaseIsTheChain } from "../helpers/scan-expect";

let chain: ScanChain;
beforeAll(async () => {
  chain = await startScanChain();
});
afterAll(async () => {
  await chain?.close();
});

function scanner(db: SqliteDatabase, tokenAddress: string, extra: Partial<ScanOptions> = {}): TokenScanner {
  return localScanner(chain.url, db, tokenAddress, extra);
}

function contents(db: SqliteDatabase): unknown[] {
  return [
    db.sqlite.prepare("SELECT block_number, log_index, tx_hash, from_address, to_address, value FROM token_transfers ORDER BY 1, 2").all(),
    db.sqlite
      .prepare(
        "SELECT h.address, c.block_number, c.log_index, c.balance FROM balance_changes c JOIN token_holders h ON h.id = c.holder_id ORDER BY 2, 3, 1",
      )
      .all(),
  ];
}

describe("token-scan ranges", () => {
  it("rescans from --start-block inside the scanned range to the same database, and refuses gaps", async () => {
    const token = await deploySecurityToken(chain, chain.wallets[0]);
    const tokenAddress = await token.getAddress();
    const history = await securityTokenHistory(chain, token, { seed: 71, operations: 20, passiveHolders: 15 });
    const temp = tempDatabase();
    try {
      const first = await scanner(temp.db, tokenAddress).scan();
      const before = contents(temp.db);
      const middle = history.blocks[10];
      const rescan = await scanner(temp.db, tokenAddress, { startBlock: middle }).scan();
      expect(rescan.rollbacks).toEqual([{ fromBlock: middle, toBlock: first.toBlock, reason: "start-block" }]);
      expect(rescan.fromBlock).toBe(middle);
      expect(contents(temp.db)).toEqual(before);

      await chain.mine(5);
      const gap = first.toBlock + 3;
      await expect(scanner(temp.db, tokenAddress, { startBlock: gap }).scan()).rejects.toThrow(
        new RegExp(`startBlock ${gap} would leave blocks ${first.toBlock + 1}-${gap - 1} unscanned`),
      );
      await expect(scanner(temp.db, tokenAddress, { endBlock: first.token.startBlock - 1 }).scan()).rejects.toThrow(
        /endBlock \d+ is before block \d+, the first block scanned for this token/,
      );
      await expectDatabaseIsTheChain(chain, temp.db, token, history.holders, [history.blocks[5], first.toBlock]);
    } finally {
      temp.cleanup();
    }
  });

  it("continues in a later run where holders the earlier run stored change again, as one scan would", async () => {
    const token = await deploySecurityToken(chain, chain.wallets[0]);
    const tokenAddress = await token.getAddress();
    const history = await securityTokenHistory(chain, token, { seed: 73, operations: 24, passiveHolders: 12 });
    const whole = tempDatabase();
    const inParts = tempDatabase();
    try {
      const once = await scanner(whole.db, tokenAddress).scan();
      const middle = history.blocks[12];
      const first = await scanner(inParts.db, tokenAddress, { endBlock: middle }).scan();
      expect(first.toBlock).toBe(middle);
      // A new run: its store starts with no holder in memory while the database has them.
      const second = await scanner(inParts.db, tokenAddress, { endBlock: once.toBlock }).scan();
      expect(second.fromBlock).toBe(middle + 1);
      expect(second.events).toBeGreaterThan(0);
      expect(contents(inParts.db)).toEqual(contents(whole.db));
      await expectDatabaseIsTheChain(chain, inParts.db, token, history.holders, [middle, once.toBlock]);
    } finally {
      whole.cleanup();
      inParts.cleanup();
    }
  });

  it("lets only one of two simultaneous scans of a token write", async () => {
    const token = await deploySecurityToken(chain, chain.wallets[0]);
    const tokenAddress = await token.getAddress();
    const history = await securityTokenHistory(chain, token, { seed: 81, operations: 15, passiveHolders: 10 });
    const temp = tempDatabase();
    const second = openDatabase(temp.file);
    try {
      const small = { blockRange: { initial: 2, max: 2 } };
      const results = await Promise.allSettled([scanner(temp.db, tokenAddress, small).scan(), scanner(second, tokenAddress, small).scan()]);
      const failed = results.filter((result): result is PromiseRejectedResult => result.status === "rejected");
      expect(failed).toHaveLength(1);
      expect(failed[0].reason).toBeInstanceOf(StoError);
      expect((failed[0].reason as StoError).message).toMatch(/another token-scan of this token wrote to the database at the same time/);
      await scanner(temp.db, tokenAddress).scan();
      await expectDatabaseIsTheChain(chain, temp.db, token, history.holders, [history.blocks[7], await chain.blockNumber()]);
    } finally {
      second.close();
      temp.cleanup();
    }
  });
});
