import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/database";
import { SCAN_WAL_PAGES, SqliteScanDatabase, type StoredBlock } from "../../src/scan/store";
import { ZERO_ADDRESS, type TransferEvent } from "../../src/scan/transfer-log";
import { tempDir } from "../helpers/cli";

/**
 * The SQLite scan store's hot path: a batch transfer's sender is looked up once for all its events
 * (session 12), and the connection settings a scan runs under are restored after it.
 */

const tmp = tempDir("sto-sqlite-store-");
afterAll(() => tmp.cleanup());

const [A, B, C, D, E, F] = ["a1", "b2", "c3", "d4", "e5", "f6"].map((byte) => `0x${byte.repeat(20)}`);

function event(blockNumber: number, logIndex: number, from: string, to: string, value: bigint): TransferEvent {
  const hash = `0x${blockNumber.toString(16).padStart(64, "0")}`;
  // Fresh strings, as the decoder makes them: equal addresses are never the same string object.
  return { blockNumber, blockHash: hash, logIndex, txHash: hash, from: `${from} `.slice(0, -1), to: `x${to}`.slice(1), value };
}

const blockOf = (blockNumber: number): StoredBlock => ({ blockNumber, blockHash: `0x${blockNumber.toString(16).padStart(64, "0")}`, timestamp: 1_000 + blockNumber });

/** Balances replayed from the events, and the balance_changes rows the store writes: one per holder and block, its last change's log index. */
function replay(events: TransferEvent[]): { balances: Map<string, bigint>; rows: { address: string; block: number; logIndex: number; balance: string }[] } {
  const balances = new Map<string, bigint>();
  const last = new Map<string, { address: string; block: number; logIndex: number; balance: string }>();
  for (const transfer of events) {
    if (transfer.value === 0n || transfer.from === transfer.to) continue;
    for (const [address, delta] of [
      [transfer.from, -transfer.value],
      [transfer.to, transfer.value],
    ] as const) {
      if (address === ZERO_ADDRESS) continue;
      const balance = (balances.get(address) ?? 0n) + delta;
      balances.set(address, balance);
      last.set(`${address}/${transfer.blockNumber}`, { address, block: transfer.blockNumber, logIndex: transfer.logIndex, balance: balance.toString() });
    }
  }
  const rows = [...last.values()].sort((x, y) => x.block - y.block || x.address.localeCompare(y.address));
  return { balances, rows };
}

describe("SqliteScanStore", () => {
  it("writes a batch transfer's sender as it writes any other holder, also when the sender receives in between", async () => {
    const chunks: TransferEvent[][] = [
      [
        event(1, 0, ZERO_ADDRESS, A, 1_000n),
        // A batch from A, with a transfer back to A and A sending on.
        event(2, 0, A, B, 10n),
        event(2, 1, A, C, 20n),
        event(2, 2, C, A, 5n),
        event(2, 3, A, D, 30n),
        event(2, 4, A, A, 7n),
        event(2, 5, A, F, 0n),
        event(2, 6, A, E, 40n),
      ],
      [
        // The next chunk, with the holders cached, then with a store that reads them from the database.
        event(3, 0, A, B, 1n),
        event(3, 1, A, C, 2n),
        event(3, 2, B, A, 3n),
        event(3, 3, B, ZERO_ADDRESS, 4n),
      ],
      [event(4, 0, A, D, 5n), event(4, 1, A, E, 6n), event(4, 2, E, F, 7n), event(4, 3, A, F, 8n)],
    ];
    const db = openDatabase(path.join(tmp.dir, "sender.sqlite"));
    try {
      const scan = new SqliteScanDatabase(db);
      const token = await scan.createToken({ network: "test", chainId: 31337, address: `0x${"99".repeat(20)}`, startBlock: 1, startsAtCreation: true });
      let store = scan.tokenStore(token.id);
      const touched: Set<string>[] = [];
      for (const [index, events] of chunks.entries()) {
        // The third chunk through a new store: nothing cached, every holder read from the database.
        if (index === 2) store = scan.tokenStore(token.id);
        const changed = new Set<string>();
        const blocks = [...new Set(events.map((transfer) => transfer.blockNumber))].map(blockOf);
        await store.writeChunk({ expectedScannedTo: events[0].blockNumber - 1, toBlock: events[events.length - 1].blockNumber, events, blocks }, changed);
        touched.push(changed);
      }
      expect(touched.map((changed) => [...changed].sort())).toEqual([[A, B, C, D, E].sort(), [A, B, C].sort(), [A, D, E, F].sort()]);
      const expected = replay(chunks.flat());
      expect(await store.balancesAt(4)).toEqual(expected.balances);
      const rows = db.sqlite
        .prepare(
          `SELECT h.address AS address, c.block_number AS block, c.log_index AS logIndex, c.balance AS balance FROM balance_changes c
           JOIN token_holders h ON h.id = c.holder_id ORDER BY c.block_number, h.address`,
        )
        .all();
      expect(rows).toEqual(expected.rows);
      // Holder ids in order of each address's first change, as SQLite gives them.
      const holders = db.sqlite.prepare("SELECT id, address FROM token_holders ORDER BY id").all();
      expect(holders).toEqual([A, B, C, D, E, F].map((address, index) => ({ id: index + 1, address })));
    } finally {
      await db.close();
    }
  });

  it("runs a scan with the write-ahead log checkpointed every SCAN_WAL_PAGES pages, and restores the connection's settings", async () => {
    const db = openDatabase(path.join(tmp.dir, "durability.sqlite"));
    try {
      const scan = new SqliteScanDatabase(db);
      const settings = () => ({
        synchronous: db.sqlite.pragma("synchronous", { simple: true }),
        autocheckpoint: db.sqlite.pragma("wal_autocheckpoint", { simple: true }),
      });
      const before = settings();
      expect(before).toEqual({ synchronous: 2, autocheckpoint: 1000 });
      expect(await scan.withScanDurability(async () => settings())).toEqual({ synchronous: 1, autocheckpoint: SCAN_WAL_PAGES });
      expect(settings()).toEqual(before);
      await expect(
        scan.withScanDurability(async () => {
          throw new Error("chunk failed");
        }),
      ).rejects.toThrow("chunk failed");
      expect(settings()).toEqual(before);
      // A connection that checkpoints less often, or never by itself, keeps its setting during a scan.
      db.sqlite.pragma("wal_autocheckpoint = 0");
      expect(await scan.withScanDurability(async () => settings().autocheckpoint)).toBe(0);
      db.sqlite.pragma(`wal_autocheckpoint = ${SCAN_WAL_PAGES * 2}`);
      expect(await scan.withScanDurability(async () => settings().autocheckpoint)).toBe(SCAN_WAL_PAGES * 2);
    } finally {
      await db.close();
    }
  });
});
