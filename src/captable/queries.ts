import type { SqlClient } from "../db/sql";
import type { ScanVerification } from "../db/schema";

export interface HolderBalance {
  /** Lowercase hex. */
  address: string;
  balance: bigint;
  /** Block of the last balance change at or before the block asked for. */
  lastChangeBlock: number;
  /** Its time, unix seconds. */
  lastChangeTime: number | null;
  /** The last change is a correction by token-scan --reconcile, not a transfer. */
  corrected: boolean;
}

interface BalanceRow {
  address: string;
  balance: string;
  block: number;
  time: number | null;
  correction: number;
}

/**
 * Every holder's balance as of the end of `block`: for each holder, one seek in the
 * (holder_id, block_number, log_index) index to its last change at or before the block (the same
 * plan on SQLite and PostgreSQL). Holders whose balance was zero then are left out unless
 * `includeEmpty`.
 */
export async function balancesAtBlock(sql: SqlClient, tokenId: number, block: number, includeEmpty: boolean): Promise<HolderBalance[]> {
  const rows = await sql.all<BalanceRow>(
    `SELECT h.address AS address, c.balance AS balance, c.block_number AS block, b.timestamp AS time, c.correction AS correction
     FROM token_holders h
     JOIN balance_changes c ON c.id = (
       SELECT i.id FROM balance_changes i
       WHERE i.holder_id = h.id AND i.block_number <= ?
       ORDER BY i.block_number DESC, i.log_index DESC LIMIT 1)
     LEFT JOIN scan_blocks b ON b.token_id = h.token_id AND b.block_number = c.block_number
     WHERE h.token_id = ? ${includeEmpty ? "" : "AND c.sign <> 0"}`,
    [block, tokenId],
  );
  return rows.map((row) => ({
    address: row.address,
    balance: BigInt(row.balance),
    lastChangeBlock: row.block,
    lastChangeTime: row.time,
    corrected: row.correction === 1,
  }));
}

/** The last block at or before `block` with a transfer, and its time. */
export async function lastTransferAtOrBefore(
  sql: SqlClient,
  tokenId: number,
  block: number,
): Promise<{ block: number; time: number | null } | undefined> {
  return sql.get<{ block: number; time: number | null }>(
    `SELECT t.block_number AS block, b.timestamp AS time FROM token_transfers t
     LEFT JOIN scan_blocks b ON b.token_id = t.token_id AND b.block_number = t.block_number
     WHERE t.token_id = ? AND t.block_number <= ? ORDER BY t.block_number DESC LIMIT 1`,
    [tokenId, block],
  );
}

/** Time of a remembered block, unix seconds. */
export async function blockTime(sql: SqlClient, tokenId: number, block: number): Promise<number | undefined> {
  const row = await sql.get<{ timestamp: number }>("SELECT timestamp FROM scan_blocks WHERE token_id = ? AND block_number = ?", [tokenId, block]);
  return row?.timestamp;
}

/**
 * The highest remembered block of the range at or before `time`. Every block with a transfer is
 * remembered, so balances at this block are the balances at that time.
 */
export async function lastBlockAtOrBefore(
  sql: SqlClient,
  tokenId: number,
  time: number,
  range: { from: number; to: number },
): Promise<number | undefined> {
  const row = await sql.get<{ block: number }>(
    `SELECT block_number AS block FROM scan_blocks
     WHERE token_id = ? AND timestamp <= ? AND block_number BETWEEN ? AND ?
     ORDER BY timestamp DESC, block_number DESC LIMIT 1`,
    [tokenId, time, range.from, range.to],
  );
  return row?.block;
}

/** Every address (lowercase hex) whose balance changed in `block`. */
export async function addressesChangedInBlock(sql: SqlClient, tokenId: number, block: number): Promise<string[]> {
  const rows = await sql.all<{ address: string }>(
    "SELECT DISTINCT h.address AS address FROM balance_changes c JOIN token_holders h ON h.id = c.holder_id WHERE c.token_id = ? AND c.block_number = ?",
    [tokenId, block],
  );
  return rows.map((row) => row.address);
}

/** A scan_verifications row under its schema names, on either engine. */
export const SELECT_VERIFICATION = `SELECT id, token_id AS "tokenId", block_number AS "blockNumber", status, total_supply AS "totalSupply",
    scanned_supply AS "scannedSupply", holders_checked AS "holdersChecked", holders_differing AS "holdersDiffering",
    differences, cause, checked_at AS "checkedAt" FROM scan_verifications`;

/**
 * The checks against the chain around `block`: the first at or after it (the latest of several at
 * one block) and the last before it.
 */
export async function verificationsAround(
  sql: SqlClient,
  tokenId: number,
  block: number,
): Promise<{ next: ScanVerification | undefined; previous: ScanVerification | undefined }> {
  const next = await sql.get<ScanVerification>(
    `${SELECT_VERIFICATION} WHERE token_id = ? AND block_number >= ? ORDER BY block_number ASC, id DESC LIMIT 1`,
    [tokenId, block],
  );
  const previous = await sql.get<ScanVerification>(
    `${SELECT_VERIFICATION} WHERE token_id = ? AND block_number < ? ORDER BY block_number DESC, id DESC LIMIT 1`,
    [tokenId, block],
  );
  return { next, previous };
}
