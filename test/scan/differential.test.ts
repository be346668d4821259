import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Contract } from "ethers";
import { LOCAL_CHAIN_ID } from "../../src/chain/local-node";
import { buildCapTable } from "../../src/captable/captable";
import type { SqliteDatabase } from "../../src/db/database";
import { TokenScanner, type ScanOptions } from "../../src/scan/scanner";
import {
  deployPlainErc20,
  deploySecurityToken,
  plainTokenHistory,
  securityTokenHistory,
  startScanChain,
  tempDatabase,
  type History,
  type ScanChain,
  localScanner,
} from "../helpers/scan-fixtures";

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

/**
 * The cap table at each block must equal what the chain itself says at that block: balanceOf of
 * every holder that ever took part, and totalSupply.
 */
async function expectCapTablesMatchChain(db: SqliteDatabase, token: Contract, history: History, blocks: number[]): Promise<void> {
  const tokenAddress = await token.getAddress();
  const everyone = new Set(history.holders);
  for (const block of blocks) {
    const table = await buildCapTable(db, { chainId: LOCAL_CHAIN_ID, tokenAddress, atBlock: block, includeEmpty: true, accuracy: 4 });
    const scanned = new Map(table.entries.map((entry) => [entry.address.toLowerCase(), entry.balance]));
    for (const address of scanned.keys()) expect(everyone.has(address), `unexpected holder ${address}`).toBe(true);
    const onChain = await Promise.all(history.holders.map((holder) => token.balanceOf(holder, { blockTag: block }) as Promise<bigint>));
    history.holders.forEach((holder, index) => {
      expect(scanned.get(holder) ?? 0n, `balance of ${holder} at block ${block}`).toBe(onChain[index]);
    });
    const totalSupply = (await token.totalSupply({ blockTag: block })) as bigint;
    expect(table.accountedSupply, `accounted supply at block ${block}`).toBe(totalSupply);
    expect(table.totalSupply, `total supply at block ${block}`).toBe(totalSupply);
    expect(table.negativeBalances).toBe(0);
    // The scan's own check against the chain at its end backs every block before it.
    expect(table.verification.verified, `verified at block ${block}`).toBe(true);
    const percentSum = table.entries.reduce((sum, entry) => sum + (entry.percentUnits ?? 0n), 0n);
    expect(percentSum).toBe(totalSupply > 0n ? 1_000_000n : 0n);
    expect(table.holderCount).toBe(onChain.filter((balance) => balance > 0n).length);
  }
}

/** A spread of blocks: the first, the last and a handful in between. */
function sample(blocks: number[], count = 8): number[] {
  const step = Math.max(1, Math.floor(blocks.length / count));
  return [...new Set([...blocks.filter((_, index) => index % step === 0), blocks[blocks.length - 1]])];
}

describe("token-scan differential against the chain", () => {
  it("SecurityToken: issues, batch and ordinary transfers, force transfers, burns among many holders", async () => {
    const token = await deploySecurityToken(chain, chain.wallets[0]);
    const history = await securityTokenHistory(chain, token, { seed: 7, operations: 70, passiveHolders: 60 });
    expect(history.events).toBeGreaterThan(300);
    const temp = tempDatabase();
    try {
      // A small first range makes the scan go through many adaptive chunks.
      const result = await scanner(temp.db, await token.getAddress(), { blockRange: { initial: 3 } }).scan();
      expect(result.events).toBe(history.events + 0);
      expect(result.verification).toMatchObject({ status: "match", holdersDiffering: 0, holdersChecked: result.holdersUpdated });
      expect(result.chunks).toBeGreaterThan(3);
      expect(result.token.startsAtCreation).toBe(true);
      await expectCapTablesMatchChain(temp.db, token, history, sample(history.blocks));
      // The current cap table holds the contract's own totalSupply reading.
      const now = await buildCapTable(temp.db, { chainId: LOCAL_CHAIN_ID, tokenAddress: await token.getAddress() });
      expect(now.totalSupplySource).toBe("contract");
      expect(now.totalSupply).toBe((await token.totalSupply()) as bigint);
    } finally {
      temp.cleanup();
    }
  });

  it("a plain OpenZeppelin ERC-20: open mints, burns and transfers", async () => {
    const token = await deployPlainErc20(chain, chain.wallets[0]);
    const history = await plainTokenHistory(chain, token, { seed: 11, operations: 60, passiveHolders: 25 });
    const temp = tempDatabase();
    try {
      const result = await scanner(temp.db, await token.getAddress()).scan();
      expect(result.events).toBe(history.events);
      expect(result.verification).toMatchObject({ status: "match", holdersDiffering: 0 });
      await expectCapTablesMatchChain(temp.db, token, history, sample(history.blocks));
    } finally {
      temp.cleanup();
    }
  });
});
