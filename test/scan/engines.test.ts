import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Contract } from "ethers";
import { as, mined } from "../helpers/chain";
import { runSto, tempDir, type StoResult } from "../helpers/cli";
import { ENGINES, engineDatabase, type Engine, type EngineDatabase } from "../helpers/e2e";
import { deploySecurityToken, securityTokenHistory, startScanChain, type History, type ScanChain } from "../helpers/scan-fixtures";

/**
 * token-scan and cap-table through the real CLI on both engines, on one chain: a random history of
 * our SecurityToken scanned in two runs, rescanned from inside the range, its cap tables at past
 * blocks compared with balanceOf; a token minting without Transfer events reconciled. Both engines
 * must print the same cap tables. Each test scans into a database of its own, so that tests run in
 * any order.
 */

interface ScanJson {
  fromBlock: number;
  toBlock: number;
  scannedToBlock: number;
  verification: { status: string; verified: boolean; corrections: number } | null;
}

interface CapTableJson {
  atBlock: number;
  totalSupplyUnits: string;
  accountedSupplyUnits: string;
  holderCount: number;
  negativeBalances: number;
  verified: boolean;
  verification: { checkStatus: string | null };
  entries: { address: string; balanceUnits: string; percent: string | null; lastTransferBlock: number; lastChange: string }[];
}

const units = (whole: number) => BigInt(whole) * 10n ** 18n;
let chain: ScanChain;
let token: Contract;
let tokenAddress: string;
let history: History;
let silent: Contract;
let silentAddress: string;
const tmp = tempDir("sto-scan-engines-");
/**
 * The cap tables each test printed, by test and engine, in the order it asked for them (without the
 * wall-clock time of the scan): the engine that runs a test second compares its tables with the first's.
 */
const printed = new Map<string, Map<Engine, unknown[]>>();
let databases = 0;

beforeAll(async () => {
  chain = await startScanChain();
  const [issuer, alice, bob] = chain.wallets;
  token = await deploySecurityToken(chain, issuer);
  tokenAddress = await token.getAddress();
  history = await securityTokenHistory(chain, token, { seed: 18, operations: 24, passiveHolders: 40, multiTxBlocks: 2 });
  silent = await chain.test.deploy("SilentMintToken", [units(1_000_000)], issuer);
  silentAddress = await silent.getAddress();
  await mined(as(silent, issuer).transfer(alice.address, units(100)));
  await mined(as(silent, issuer).transfer(bob.address, units(50)));
  await mined(as(silent, issuer).issue(units(500)));
});

afterAll(async () => {
  await chain?.close();
  tmp.cleanup();
});

describe.each(ENGINES)("token-scan and cap-table (%s)", (engine) => {
  let db: EngineDatabase;
  let tables: unknown[];
  const sto = (args: string[]): Promise<StoResult> =>
    runSto([...db.databaseFlags, "--ethereum-node-url", chain.url, ...args], { env: db.databaseEnv });
  const scan = async (address: string, extra: string[] = []): Promise<{ result: StoResult; json: ScanJson }> => {
    const result = await sto(["--json", "token-scan", "--token-address", address, ...extra]);
    return { result, json: JSON.parse(result.stdout) as ScanJson };
  };
  const capTable = async (address: string, extra: string[] = []): Promise<CapTableJson> => {
    const result = await sto(["cap-table", "--token-address", address, "--format", "json", "--include-empty", ...extra]);
    expect(result.code, result.stderr).toBe(0);
    const { databaseUpdatedAt, ...rest } = JSON.parse(result.stdout) as CapTableJson & { databaseUpdatedAt: string };
    expect(databaseUpdatedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    tables.push(rest);
    return rest;
  };
  /** Every listed balance and every participant's equals balanceOf at the table's block, and so does the supply. */
  const expectEqualsChain = async (of: Contract, table: CapTableJson, participants: string[]): Promise<void> => {
    const listed = new Map(table.entries.map((entry) => [entry.address.toLowerCase(), BigInt(entry.balanceUnits)]));
    for (const address of new Set([...listed.keys(), ...participants.map((item) => item.toLowerCase())])) {
      expect(listed.get(address) ?? 0n, `balance of ${address} at block ${table.atBlock}`).toBe((await of.balanceOf(address, { blockTag: table.atBlock })) as bigint);
    }
    expect(BigInt(table.accountedSupplyUnits)).toBe((await of.totalSupply({ blockTag: table.atBlock })) as bigint);
    expect(table.negativeBalances).toBe(0);
  };
  const stored = (): Promise<unknown[]> =>
    db.rows(
      `SELECT t.block_number AS block, t.log_index AS "logIndex", t.tx_hash AS hash, t.from_address AS "from", t.to_address AS "to", t.value AS value
       FROM token_transfers t ORDER BY t.block_number, t.log_index`,
    );
  const changes = (): Promise<unknown[]> =>
    db.rows(
      `SELECT h.address AS address, c.block_number AS block, c.log_index AS "logIndex", c.balance AS balance, c.sign AS sign
       FROM balance_changes c JOIN token_holders h ON h.id = c.holder_id ORDER BY c.block_number, c.log_index, h.address`,
    );

  beforeEach(async () => {
    databases += 1;
    db = await engineDatabase(engine, tmp.dir, `${engine}-${databases}.sqlite`);
    tables = [];
  });
  // Both engines print the same cap tables: checked by whichever engine runs the test second.
  afterEach((context) => {
    const byEngine = printed.get(context.task.name) ?? new Map<Engine, unknown[]>();
    printed.set(context.task.name, byEngine.set(engine, tables));
    const other = [...byEngine].find(([name]) => name !== engine)?.[1];
    if (other) expect(tables, `the cap tables printed on ${engine} and on the other engine`).toEqual(other);
  });

  it("scans in two runs, and the cap table at each past block is balanceOf there", async () => {
    const middle = history.blocks[Math.floor(history.blocks.length / 2)];
    const first = await scan(tokenAddress, ["--end-block", String(middle)]);
    expect(first.result.code, first.result.stderr).toBe(0);
    expect(first.json.scannedToBlock).toBe(middle);
    const second = await scan(tokenAddress);
    expect(second.result.code, second.result.stderr).toBe(0);
    expect(second.json.fromBlock).toBe(middle + 1);
    expect(second.json.verification).toMatchObject({ status: "match", verified: true });
    const [{ n: transfers }] = await db.rows<{ n: number }>("SELECT COUNT(*) AS n FROM token_transfers");
    expect(transfers).toBe(history.events);

    for (const block of [history.blocks[1], middle, history.blocks[history.blocks.length - 1]]) {
      const table = await capTable(tokenAddress, ["--at-block", String(block)]);
      expect(table.atBlock).toBe(block);
      await expectEqualsChain(token, table, history.holders);
    }
    const head = await capTable(tokenAddress);
    expect(head.verified).toBe(true);
    expect(head.holderCount).toBeGreaterThan(20);
  });

  it("rescans from a --start-block inside the range to the same rows", async () => {
    const scanned = await scan(tokenAddress);
    expect(scanned.result.code, scanned.result.stderr).toBe(0);
    const before = { transfers: await stored(), changes: await changes() };
    const start = history.blocks[5];
    const rescan = await scan(tokenAddress, ["--start-block", String(start)]);
    expect(rescan.result.code, rescan.result.stderr).toBe(0);
    expect(rescan.json.fromBlock).toBe(start);
    expect(await stored()).toEqual(before.transfers);
    expect(await changes()).toEqual(before.changes);
  });

  it("reconciles a token that mints without Transfer events to balanceOf", async () => {
    const [issuer, alice, bob] = chain.wallets;
    const mismatch = await scan(silentAddress);
    expect(mismatch.result.code, mismatch.result.stderr).toBe(4);
    expect(mismatch.json.verification).toMatchObject({ status: "mismatch", verified: false });
    expect((await capTable(silentAddress)).verified).toBe(false);
    const reconciled = await scan(silentAddress, ["--reconcile"]);
    expect(reconciled.result.code, reconciled.result.stderr).toBe(0);
    expect(reconciled.json.verification).toMatchObject({ status: "reconciled", verified: true, corrections: 1 });
    const table = await capTable(silentAddress);
    expect(table.verified).toBe(true);
    expect(table.entries.find((entry) => entry.address === issuer.address)?.lastChange).toBe("correction");
    await expectEqualsChain(silent, table, [issuer.address, alice.address, bob.address]);
  });
});
