import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { balancesAtBlock, holderStatesSql, parseHolderState, type HolderBalance } from "../../src/captable/queries";
import { HolderBalances } from "../../src/captable/holder-balances";
import { LOCAL_CHAIN_ID } from "../../src/chain/local-node";
import { parseDatabaseUrl } from "../../src/config/database";
import type { SqlClient } from "../../src/db/sql";
import { openAuditDatabase, type StoDatabase } from "../../src/db/database";
import { PostgresScanDatabase } from "../../src/scan/postgres-store";
import { SqliteScanDatabase, type ScanStore, type StoredBlock } from "../../src/scan/store";
import { ZERO_ADDRESS, type TransferEvent } from "../../src/scan/transfer-log";
import { tempDir } from "../helpers/cli";
import { seededRandom } from "../helpers/random";
import { ENGINES } from "../helpers/e2e";
import { freshPostgresDatabase } from "../helpers/postgres";

/**
 * Balances at a past block (the query of every past cap table, src/captable/queries.ts) against a
 * replay of the stored events in JavaScript, at random blocks, through what changes a scanned
 * history: chunks of random transfers (mints, burns, self-transfers, transfers of nothing, sends
 * from accounts that never received: negative balances), `token-scan --reconcile` corrections
 * (a second reconciliation at the same block replacing the first), and reorganisations that rewind
 * the scan above and below a correction. Written through the scanner's own store on both engines.
 */

const tmp = tempDir("sto-past-balances-");
afterAll(() => tmp.cleanup());

const ADDRESSES = Array.from({ length: 14 }, (_, index) => `0x${(index + 1).toString(16).padStart(2, "0")}${"ab".repeat(19)}`);

/** What the chain said and what --reconcile set: the model the expected balances are replayed from. */
class History {
  readonly blocks = new Map<number, { block: StoredBlock | null; events: TransferEvent[] }>();
  /** Block → address → balance set by a correction. */
  readonly corrections = new Map<number, Map<string, bigint>>();
  scannedTo = 0;

  rewind(block: number): void {
    for (const number of [...this.blocks.keys()]) if (number > block) this.blocks.delete(number);
    for (const number of [...this.corrections.keys()]) if (number > block) this.corrections.delete(number);
    this.scannedTo = Math.min(this.scannedTo, block);
  }

  /** Every holder with a change at or before `at`, by address, with the time of its last change's block if remembered. */
  expected(at: number): HolderBalance[] {
    const state = new Map<string, HolderBalance>();
    const touch = (address: string, block: number, balance: bigint, corrected: boolean) => {
      const time = this.blocks.get(block)?.block?.timestamp ?? null;
      state.set(address, { address, balance, lastChangeBlock: block, lastChangeTime: time, corrected });
    };
    const numbers = [...new Set([...this.blocks.keys(), ...this.corrections.keys()])].filter((n) => n <= at).sort((a, b) => a - b);
    for (const number of numbers) {
      for (const event of this.blocks.get(number)?.events ?? []) {
        if (event.value === 0n || event.from === event.to) continue;
        for (const [address, delta] of [
          [event.from, -event.value],
          [event.to, event.value],
        ] as const) {
          if (address === ZERO_ADDRESS) continue;
          touch(address, number, (state.get(address)?.balance ?? 0n) + delta, false);
        }
      }
      for (const [address, balance] of this.corrections.get(number) ?? []) touch(address, number, balance, true);
    }
    return [...state.values()].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  }
}

interface Run {
  store: ScanStore;
  history: History;
  random: () => number;
  /** Reorganisations get other hashes and times. */
  fork: number;
}

async function scan(run: Run, toBlock: number): Promise<void> {
  const { store, history, random } = run;
  while (history.scannedTo < toBlock) {
    const from = history.scannedTo + 1;
    const to = Math.min(toBlock, from + Math.floor(random() * 5));
    const chunk = { expectedScannedTo: history.scannedTo, toBlock: to, events: [] as TransferEvent[], blocks: [] as StoredBlock[] };
    for (let number = from; number <= to; number++) {
      const count = random() < 0.25 ? 0 : 1 + Math.floor(random() * 4);
      const stored: StoredBlock = { blockNumber: number, blockHash: `0x${run.fork.toString(16)}${number.toString(16).padStart(63, "0")}`, timestamp: 1_700_000_000 + number * 12 + run.fork };
      const events: TransferEvent[] = [];
      for (let logIndex = 0; logIndex < count; logIndex++) {
        const pick = () => (random() < 0.15 ? ZERO_ADDRESS : ADDRESSES[Math.floor(random() * ADDRESSES.length)]);
        const from = pick();
        const roll = random();
        const value = roll < 0.05 ? 0n : roll < 0.15 ? 10n ** 30n + BigInt(Math.floor(random() * 1000)) : BigInt(Math.floor(random() * 1000) + 1);
        events.push({ blockNumber: number, blockHash: stored.blockHash, logIndex: logIndex * 3, txHash: `0x${"1".repeat(64)}`, from, to: random() < 0.05 ? from : pick(), value });
      }
      // Blocks with a transfer are always remembered; empty ones now and then (as near the tip).
      const remembered = events.length > 0 || random() < 0.5;
      if (remembered) chunk.blocks.push(stored);
      chunk.events.push(...events);
      history.blocks.set(number, { block: remembered ? stored : null, events });
    }
    await store.writeChunk(chunk, new Set());
    history.scannedTo = to;
  }
}

/** One block with no transfer, not remembered (a check may end a scan at such a block). */
async function scanEmptyBlock(run: Run): Promise<void> {
  const number = run.history.scannedTo + 1;
  await run.store.writeChunk({ expectedScannedTo: run.history.scannedTo, toBlock: number, events: [], blocks: [] }, new Set());
  run.history.blocks.set(number, { block: null, events: [] });
  run.history.scannedTo = number;
}

/** `token-scan --reconcile` at the end of the scanned range: balances set to "the chain's" for some holders. */
async function reconcile(run: Run, addresses: string[]): Promise<void> {
  const { store, history, random } = run;
  const block = history.scannedTo;
  const before = new Map(history.expected(block).map((row) => [row.address, row.balance]));
  const corrections = addresses.map((address) => ({ address, scanned: before.get(address) ?? 0n, chain: random() < 0.3 ? 0n : BigInt(Math.floor(random() * 5000)) }));
  await store.recordVerification(
    {
      blockNumber: block,
      status: "reconciled",
      totalSupply: null,
      scannedSupply: 0n,
      holdersChecked: addresses.length,
      holdersDiffering: addresses.length,
      differences: [],
      cause: null,
    },
    corrections,
  );
  const atBlock = history.corrections.get(block) ?? new Map<string, bigint>();
  for (const correction of corrections) atBlock.set(correction.address, correction.chain);
  history.corrections.set(block, atBlock);
}

async function rewind(run: Run, block: number): Promise<void> {
  await run.store.rollbackTo(block);
  run.history.rewind(block);
  run.fork += 1;
}

/** Compares the stored answers with the replay at `count` random blocks (and the edges). */
async function check(db: StoDatabase, tokenId: number, run: Run, seen: HolderBalance[], count: number): Promise<number> {
  const top = run.history.scannedTo;
  const blocks = [0, top, top + 3, ...Array.from({ length: count }, () => Math.floor(run.random() * (top + 2)))];
  let compared = 0;
  for (const block of blocks) {
    const expected = run.history.expected(block);
    expect((await balancesAtBlock(db.sql, tokenId, block, false)).toArray(), `balances at block ${block}`).toEqual(expected.filter((row) => row.balance !== 0n));
    expect((await balancesAtBlock(db.sql, tokenId, block, true)).toArray(), `balances with empty accounts at block ${block}`).toEqual(expected);
    // Read a few holders at a time (on SQLite: strings of 1, 3 and 4 holders' rows), pages ending on the last holder or not.
    for (const perText of [1, 3, 4]) {
      expect((await balancesAtBlock(db.sql, tokenId, block, true, perText)).toArray(), `${perText} holders a string at block ${block}`).toEqual(expected);
    }
    // The streamed cap table's form of the same query: every holder, its time joined by SQL.
    const joined = await db.sql.column<string>(holderStatesSql(db.engine, { filter: "all", order: { by: "address", direction: "asc" }, withTime: true }), [block, tokenId]);
    expect(joined.map(parseHolderState), `states with times at block ${block}`).toEqual(expected);
    compared += expected.length;
    seen.push(...expected);
  }
  return compared;
}

describe.each(ENGINES)("balances at past blocks on %s", (engine) => {
  it("equal a replay of the events at random blocks, through --reconcile corrections and reorganisations", async () => {
    const db =
      engine === "sqlite"
        ? await openAuditDatabase({ engine: "sqlite", file: path.join(tmp.dir, "past.sqlite") })
        : await openAuditDatabase(parseDatabaseUrl(await freshPostgresDatabase(), "test"));
    try {
      const scanDb = db.engine === "sqlite" ? new SqliteScanDatabase(db) : new PostgresScanDatabase(db);
      const token = await scanDb.createToken({ network: "local", chainId: LOCAL_CHAIN_ID, address: "0x00000000000000000000000000000000000000aa", startBlock: 1, startsAtCreation: true });
      const run: Run = { store: scanDb.tokenStore(token.id), history: new History(), random: seededRandom(19), fork: 0 };
      let compared = 0;
      const seen: HolderBalance[] = [];
      await scan(run, 40);
      compared += await check(db, token.id, run, seen, 6);
      // A reconciliation, then a second one at the same block replacing one of its balances.
      await reconcile(run, [ADDRESSES[0], ADDRESSES[5], "0x00000000000000000000000000000000000000cc"]);
      await reconcile(run, [ADDRESSES[5], ADDRESSES[9]]);
      compared += await check(db, token.id, run, seen, 6);
      await scan(run, 80);
      compared += await check(db, token.id, run, seen, 8);
      // A reorganisation above the corrections: they stay.
      await rewind(run, 65);
      await scan(run, 100);
      await scanEmptyBlock(run);
      await reconcile(run, [ADDRESSES[2], ADDRESSES[3]]);
      compared += await check(db, token.id, run, seen, 8);
      // One that takes the last correction away, then one below the first corrections.
      await rewind(run, 97);
      await scan(run, 110);
      compared += await check(db, token.id, run, seen, 6);
      await rewind(run, 30);
      await scan(run, 75);
      await reconcile(run, [ADDRESSES[1], ADDRESSES[12], ADDRESSES[13]]);
      await scan(run, 90);
      compared += await check(db, token.id, run, seen, 10);
      // The comparisons met what they are for: corrected, negative and empty balances, changes in unremembered blocks.
      expect(seen.some((row) => row.corrected)).toBe(true);
      expect(seen.some((row) => row.balance < 0n)).toBe(true);
      expect(seen.some((row) => row.balance === 0n)).toBe(true);
      expect(seen.some((row) => row.lastChangeTime === null)).toBe(true);
      expect(compared).toBeGreaterThan(300);
    } finally {
      await db.close();
    }
  }, 60_000);
});

describe("parseHolderState", () => {
  it("reads every field of a state row, with and without a time, as the fields were written", () => {
    const random = seededRandom(7);
    for (let index = 0; index < 2_000; index++) {
      const address = ADDRESSES[index % ADDRESSES.length];
      const balance = (random() < 0.2 ? -1n : 1n) * BigInt(Math.floor(random() * 1e9)) * (random() < 0.3 ? 10n ** 25n : 1n);
      const block = Math.floor(random() * 30_000_000);
      const corrected = random() < 0.5;
      const time = random() < 0.3 ? null : Math.floor(random() * 2e9);
      const withTime = random() < 0.5;
      const state = `${address} ${balance} ${block} ${corrected ? 1 : 0}${withTime ? ` ${time ?? ""}` : ""}`;
      expect(parseHolderState(state)).toEqual({ address, balance, lastChangeBlock: block, lastChangeTime: withTime ? time : null, corrected });
    }
  });
});

/** Balances at the edges of HolderBalances' two 15-digit parts, and of 2^53 and 2^64. */
const EDGES = [1n, 10n ** 15n - 1n, 10n ** 15n, 10n ** 15n + 1n, 2n ** 53n, 2n ** 64n, 10n ** 30n - 1n, 10n ** 30n, 665n * 10n ** 18n + 62_856n];

/** A random balance: small, of 18-decimal tokens, at the edges of the parts, or far above them; a fifth negative. */
function randomBalance(random: () => number): bigint {
  const pick = random();
  const magnitude =
    pick < 0.3
      ? BigInt(Math.floor(random() * 1e12))
      : pick < 0.55
        ? BigInt(Math.floor(random() * 1e9)) * 10n ** BigInt(12 + Math.floor(random() * 20)) + BigInt(Math.floor(random() * 1e9))
        : pick < 0.65
          ? EDGES[Math.floor(random() * EDGES.length)]
          : pick < 0.8
            ? BigInt(Math.floor(random() * 1e9)) * 10n ** 60n
            : 0n;
  return random() < 0.2 ? -magnitude : magnitude;
}

describe("HolderBalances", () => {
  it("reads rows joined by newlines as parseHolderState reads each: balances of every size and sign, with and without a time", () => {
    const random = seededRandom(11);
    for (let round = 0; round < 50; round++) {
      const withTime = round % 2 === 0;
      const pages = Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
        Array.from({ length: 1 + Math.floor(random() * 40) }, (_, index) => {
          const time = random() < 0.3 ? "" : String(Math.floor(random() * 2e9));
          return `${ADDRESSES[index % ADDRESSES.length]} ${randomBalance(random)} ${Math.floor(random() * 30_000_000)} ${random() < 0.5 ? 1 : 0}${withTime ? ` ${time}` : ""}`;
        }),
      );
      const balances = new HolderBalances();
      for (const page of pages) balances.append(page.join("\n"));
      const expected = pages.flat().map(parseHolderState);
      expect(balances.toArray()).toEqual(expected);
      expect(balances.length).toBe(expected.length);
      expect(expected.map((_, row) => balances.sign(row))).toEqual(expected.map((row) => (row.balance > 0n ? 1 : row.balance < 0n ? -1 : 0)));
      expect(new Set(balances.blocks())).toEqual(new Set(expected.map((row) => row.lastChangeBlock)));
    }
    const none = new HolderBalances();
    none.append("");
    expect(none.toArray()).toEqual([]);
  });

  it("sorts rows appended out of address order, every column and the unpacked balances with them", () => {
    const random = seededRandom(5);
    for (let round = 0; round < 30; round++) {
      const states = Array.from({ length: 1 + Math.floor(random() * 30) }, (_, index) => {
        const address = `0x${Math.floor(random() * 2 ** 40).toString(16).padStart(38, "0")}${index.toString(16).padStart(2, "0")}`;
        return `${address} ${randomBalance(random)} ${Math.floor(random() * 1e6)} ${random() < 0.5 ? 1 : 0} ${Math.floor(random() * 2e9)}`;
      });
      const kept = `0x${"0".repeat(40)} 5 1 0 7`;
      const balances = new HolderBalances();
      balances.append(kept);
      balances.append(states.join("\n"));
      balances.sortFrom(1);
      const sorted = states.map(parseHolderState).sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
      expect(balances.toArray()).toEqual([parseHolderState(kept), ...sorted]);
      for (let row = 1; row < balances.length; row++) expect(balances.compareAddresses(row - 1, row)).toBeLessThan(0);
    }
  });

  it("compares addresses as JavaScript compares strings, a shorter one below its longer continuation", () => {
    const balances = new HolderBalances();
    balances.append(["0xab 1 1 0", "0xabc 1 1 0", "0xab 2 2 0", "0xb 1 1 0"].join("\n"));
    expect(balances.compareAddresses(0, 1)).toBeLessThan(0);
    expect(balances.compareAddresses(1, 0)).toBeGreaterThan(0);
    expect(balances.compareAddresses(0, 2)).toBe(0);
    expect(balances.compareAddresses(1, 3)).toBeLessThan(0);
  });
});

describe("balancesAtBlock on SQLite", () => {
  it("sorts a string of rows that comes out of address order, and reads on after its greatest address", async () => {
    const state = (n: number) => `0x${n.toString(16).padStart(40, "0")} ${n * 10} 7 0`;
    const asked: unknown[][] = [];
    const pages = [[3, 1, 2].map(state).join("\n"), [4].map(state).join("\n")];
    const sql: SqlClient = {
      engine: "sqlite",
      column: async <T>(_text: string, params: readonly unknown[] = []) => {
        asked.push([...params]);
        return [pages.shift() ?? null] as T[];
      },
      all: async <T>() => [{ block: 7, time: 1_700_000_000 }] as T[],
      get: async () => undefined,
      run: async () => 0,
      columnPages: () => {
        throw new Error("not used");
      },
    };
    const rows = (await balancesAtBlock(sql, 5, 9, false, 3)).toArray();
    expect(rows.map((row) => row.balance)).toEqual([10n, 20n, 30n, 40n]);
    expect(rows.every((row) => row.lastChangeTime === 1_700_000_000)).toBe(true);
    expect(asked).toEqual([
      [9, 5, "", 3],
      [9, 5, `0x${"3".padStart(40, "0")}`, 3],
    ]);
  });
});
