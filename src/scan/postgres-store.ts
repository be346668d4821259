import { ExitCode, StoError } from "../errors";
import { nowIso } from "../db/database";
import type { PostgresDatabase } from "../db/postgres";
import type { SqlClient } from "../db/sql";
import type { ScanVerification } from "../db/schema";
import {
  CORRECTION_LOG_INDEX,
  latestScanVerification,
  ScannedTokenRows,
  type BalanceCorrection,
  type Chunk,
  type NewVerification,
  type ScanDatabase,
  type ScanStore,
  type StoredBlock,
  VERIFICATION_COLUMNS,
  verificationValues,
} from "./store";
import { ZERO_ADDRESS, type TransferEvent } from "./transfer-log";

/** Holders kept in memory between chunks, as on SQLite. */
const HOLDER_CACHE_LIMIT = 500_000;

interface CachedHolder {
  id: number;
  balance: bigint;
  /** Log index of its last change in the block being written; -1 when unchanged in it. */
  lastLogIndex: number;
}

const STATE_MISMATCH =
  "another token-scan of this token wrote to the database at the same time: run token-scan again once it has finished";

function sign(balance: bigint): number {
  return balance > 0n ? 1 : balance < 0n ? -1 : 0;
}

/**
 * The scanner's database on PostgreSQL. Each call is one statement or one transaction on a pooled
 * connection; a chunk is one transaction whose first statement moves the scanned range, so a
 * second scan of the token waits on that row and then finds the range moved (and stops).
 */
export class PostgresScanDatabase extends ScannedTokenRows implements ScanDatabase {
  /** Set while a scan runs: its chunk transactions do not wait for the server's flush to disk. */
  relaxed = false;

  constructor(readonly db: PostgresDatabase) {
    super(db.sql);
  }

  tokenStore(tokenId: number): ScanStore {
    return new PostgresScanStore(this, tokenId);
  }

  async withScanDurability<T>(run: () => Promise<T>): Promise<T> {
    // As on SQLite: a chunk lost to a server crash is scanned again by the next run, so its
    // commit need not wait for the write-ahead log's flush (SET LOCAL: that transaction only).
    this.relaxed = true;
    try {
      return await run();
    } finally {
      this.relaxed = false;
    }
  }
}

/**
 * One token's scanned data on PostgreSQL. A chunk costs a handful of round trips whatever its
 * size: the holders it touches are looked up and created with one statement each, and its
 * transfers, balance changes and blocks are inserted as arrays (unnest), not row by row.
 */
export class PostgresScanStore implements ScanStore {
  private readonly holders = new Map<string, CachedHolder>();

  constructor(
    private readonly scan: PostgresScanDatabase,
    readonly tokenId: number,
  ) {}

  private get db(): PostgresDatabase {
    return this.scan.db;
  }

  async writeChunk(chunk: Chunk, touched: Set<string>): Promise<void> {
    const tokenId = this.tokenId;
    try {
      await this.db.write(async (sql) => {
        if (this.scan.relaxed) await sql.run("SET LOCAL synchronous_commit = off");
        const moved = await sql.run("UPDATE scanned_tokens SET scanned_to_block = ?, updated_at = ? WHERE id = ? AND scanned_to_block = ?", [
          chunk.toBlock,
          nowIso(),
          tokenId,
          chunk.expectedScannedTo,
        ]);
        if (moved !== 1) throw new StoError(STATE_MISMATCH, ExitCode.StateMismatch);
        if (chunk.blocks.length > 0) {
          await sql.run(
            `INSERT INTO scan_blocks (token_id, block_number, block_hash, timestamp)
             SELECT ?::integer, * FROM unnest(?::bigint[], ?::text[], ?::bigint[])
             ON CONFLICT (token_id, block_number) DO UPDATE SET block_hash = excluded.block_hash, timestamp = excluded.timestamp`,
            [tokenId, chunk.blocks.map((block) => block.blockNumber), chunk.blocks.map((block) => block.blockHash), chunk.blocks.map((block) => block.timestamp)],
          );
        }
        await this.loadHolders(sql, chunk.events);
        const transfers = { block: [] as number[], logIndex: [] as number[], txHash: [] as string[], from: [] as string[], to: [] as string[], value: [] as string[] };
        const changes = { holder: [] as number[], block: [] as number[], logIndex: [] as number[], balance: [] as string[], sign: [] as number[] };
        const changedInBlock: CachedHolder[] = [];
        let currentBlock = -1;
        const endBlock = (): void => {
          for (const holder of changedInBlock) {
            changes.holder.push(holder.id);
            changes.block.push(currentBlock);
            changes.logIndex.push(holder.lastLogIndex);
            changes.balance.push(holder.balance.toString());
            changes.sign.push(sign(holder.balance));
            holder.lastLogIndex = -1;
          }
          changedInBlock.length = 0;
        };
        const change = (address: string, delta: bigint, event: TransferEvent): void => {
          const holder = this.holders.get(address) as CachedHolder;
          holder.balance += delta;
          if (holder.lastLogIndex < 0) changedInBlock.push(holder);
          holder.lastLogIndex = event.logIndex;
          touched.add(address);
        };
        for (const event of chunk.events) {
          // Events come in chain order and a chunk holds whole blocks; one row per holder and block, as on SQLite.
          if (event.blockNumber !== currentBlock) endBlock();
          currentBlock = event.blockNumber;
          transfers.block.push(event.blockNumber);
          transfers.logIndex.push(event.logIndex);
          transfers.txHash.push(event.txHash);
          transfers.from.push(event.from);
          transfers.to.push(event.to);
          transfers.value.push(event.value.toString());
          if (event.value === 0n || event.from === event.to) continue;
          if (event.from !== ZERO_ADDRESS) change(event.from, -event.value, event);
          if (event.to !== ZERO_ADDRESS) change(event.to, event.value, event);
        }
        endBlock();
        if (transfers.block.length > 0) {
          await sql.run(
            `INSERT INTO token_transfers (token_id, block_number, log_index, tx_hash, from_address, to_address, value)
             SELECT ?::integer, * FROM unnest(?::bigint[], ?::integer[], ?::text[], ?::text[], ?::text[], ?::text[])`,
            [tokenId, transfers.block, transfers.logIndex, transfers.txHash, transfers.from, transfers.to, transfers.value],
          );
        }
        if (changes.holder.length > 0) {
          await sql.run(
            `INSERT INTO balance_changes (token_id, holder_id, block_number, log_index, balance, sign)
             SELECT ?::integer, * FROM unnest(?::bigint[], ?::bigint[], ?::integer[], ?::text[], ?::integer[])`,
            [tokenId, changes.holder, changes.block, changes.logIndex, changes.balance, changes.sign],
          );
        }
      });
    } catch (error) {
      // The cached balances may include changes the rollback discarded.
      this.holders.clear();
      throw error;
    }
    if (this.holders.size > HOLDER_CACHE_LIMIT) this.holders.clear();
  }

  /** Puts every address the events change in the cache: known holders with their balance, new ones created. */
  private async loadHolders(sql: SqlClient, events: TransferEvent[]): Promise<void> {
    const missing = new Set<string>();
    for (const event of events) {
      if (event.value === 0n || event.from === event.to) continue;
      for (const address of [event.from, event.to]) {
        if (address !== ZERO_ADDRESS && !this.holders.has(address)) missing.add(address);
      }
    }
    if (missing.size === 0) return;
    const found = await sql.all<{ id: number; address: string; balance: string | null }>(
      `SELECT h.id AS id, h.address AS address,
              (SELECT c.balance FROM balance_changes c WHERE c.holder_id = h.id
               ORDER BY c.block_number DESC, c.log_index DESC LIMIT 1) AS balance
       FROM token_holders h WHERE h.token_id = ? AND h.address = ANY(?::text[])`,
      [this.tokenId, [...missing]],
    );
    for (const row of found) {
      this.holders.set(row.address, { id: row.id, balance: row.balance === null ? 0n : BigInt(row.balance), lastLogIndex: -1 });
      missing.delete(row.address);
    }
    if (missing.size === 0) return;
    const created = await sql.all<{ id: number; address: string }>(
      "INSERT INTO token_holders (token_id, address) SELECT ?::integer, unnest(?::text[]) RETURNING id, address",
      [this.tokenId, [...missing]],
    );
    for (const row of created) this.holders.set(row.address, { id: row.id, balance: 0n, lastLogIndex: -1 });
  }

  async rollbackTo(block: number): Promise<void> {
    const tokenId = this.tokenId;
    await this.db.write(async (sql) => {
      for (const table of ["balance_corrections", "scan_verifications", "balance_changes", "token_transfers"]) {
        await sql.run(`DELETE FROM ${table} WHERE token_id = ? AND block_number > ?`, [tokenId, block]);
      }
      await sql.run(
        "DELETE FROM token_holders WHERE token_id = ? AND NOT EXISTS (SELECT 1 FROM balance_changes c WHERE c.holder_id = token_holders.id)",
        [tokenId],
      );
      await sql.run("DELETE FROM scan_blocks WHERE token_id = ? AND block_number > ?", [tokenId, block]);
      await sql.run(
        `UPDATE scanned_tokens SET scanned_to_block = LEAST(scanned_to_block, ?),
           total_supply = CASE WHEN total_supply_block > ? THEN NULL ELSE total_supply END,
           total_supply_block = CASE WHEN total_supply_block > ? THEN NULL ELSE total_supply_block END,
           updated_at = ? WHERE id = ?`,
        [block, block, block, nowIso(), tokenId],
      );
    });
    this.holders.clear();
  }

  async blocksDescending(atOrBelow: number, limit: number): Promise<StoredBlock[]> {
    return this.db.sql.all<StoredBlock>(
      `SELECT b.block_number AS "blockNumber", b.block_hash AS "blockHash", b.timestamp AS "timestamp" FROM scan_blocks b
       WHERE b.token_id = ? AND b.block_number <= ? ORDER BY b.block_number DESC LIMIT ?`,
      [this.tokenId, atOrBelow, limit],
    );
  }

  async storedBlock(blockNumber: number): Promise<StoredBlock | undefined> {
    return this.db.sql.get<StoredBlock>(
      `SELECT b.block_number AS "blockNumber", b.block_hash AS "blockHash", b.timestamp AS "timestamp" FROM scan_blocks b
       WHERE b.token_id = ? AND b.block_number = ?`,
      [this.tokenId, blockNumber],
    );
  }

  async balancesAt(block: number): Promise<Map<string, bigint>> {
    const rows = await this.db.sql.all<{ address: string; balance: string | null }>(
      `SELECT h.address AS address, (SELECT c.balance FROM balance_changes c WHERE c.holder_id = h.id AND c.block_number <= ?
         ORDER BY c.block_number DESC, c.log_index DESC LIMIT 1) AS balance
       FROM token_holders h WHERE h.token_id = ?`,
      [block, this.tokenId],
    );
    const result = new Map<string, bigint>();
    for (const row of rows) if (row.balance !== null) result.set(row.address, BigInt(row.balance));
    return result;
  }

  async recordVerification(verification: NewVerification, corrections: BalanceCorrection[]): Promise<number> {
    const tokenId = this.tokenId;
    const block = verification.blockNumber;
    const now = nowIso();
    const id = await this.db.write(async (sql) => {
      // FOR UPDATE: a scan moving the range meanwhile waits for this check, or this check sees it moved.
      const token = await sql.get<{ scannedTo: number }>('SELECT scanned_to_block AS "scannedTo" FROM scanned_tokens WHERE id = ? FOR UPDATE', [tokenId]);
      if (!token || token.scannedTo !== block) throw new StoError(STATE_MISMATCH, ExitCode.StateMismatch);
      const inserted = await sql.get<{ id: number }>(
        `INSERT INTO scan_verifications (${VERIFICATION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        verificationValues(tokenId, verification, now),
      );
      const verificationId = (inserted as { id: number }).id;
      for (const correction of corrections) {
        const found = await sql.get<{ id: number }>("SELECT id FROM token_holders WHERE token_id = ? AND address = ?", [tokenId, correction.address]);
        const holderId =
          found?.id ?? ((await sql.get<{ id: number }>("INSERT INTO token_holders (token_id, address) VALUES (?, ?) RETURNING id", [tokenId, correction.address])) as { id: number }).id;
        // A second reconciliation at the same block replaces the first one's balance.
        await sql.run("DELETE FROM balance_changes WHERE holder_id = ? AND block_number = ? AND correction = 1", [holderId, block]);
        const balance = correction.chain;
        await sql.run("INSERT INTO balance_changes (token_id, holder_id, block_number, log_index, balance, sign, correction) VALUES (?, ?, ?, ?, ?, ?, 1)", [
          tokenId,
          holderId,
          block,
          CORRECTION_LOG_INDEX,
          balance.toString(),
          sign(balance),
        ]);
        await sql.run(
          `INSERT INTO balance_corrections (token_id, holder_id, verification_id, block_number, scanned_balance, chain_balance, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
          [tokenId, holderId, verificationId, block, correction.scanned.toString(), balance.toString(), now],
        );
      }
      return verificationId;
    });
    // Corrected balances are not in the cache.
    this.holders.clear();
    return id;
  }

  async latestVerification(): Promise<ScanVerification | undefined> {
    return latestScanVerification(this.db.sql, this.tokenId);
  }

  async recordTotalSupply(totalSupply: bigint | null, block: number): Promise<void> {
    await this.db.sql.run("UPDATE scanned_tokens SET total_supply = ?, total_supply_block = ? WHERE id = ? AND scanned_to_block = ?", [
      totalSupply === null ? null : totalSupply.toString(),
      totalSupply === null ? null : block,
      this.tokenId,
      block,
    ]);
  }
}
