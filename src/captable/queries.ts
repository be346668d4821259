import type { Engine, SqlClient } from "../db/sql";
import type { ScanVerification } from "../db/schema";
import { HolderBalances, type HolderBalance } from "./holder-balances";

export type { HolderBalance };

/** Which holders a balances query returns (by the sign of their balance at the block). */
export type HolderFilter = "nonzero" | "positive" | "nonnegative" | "all";

const SIGN_FILTER: Record<HolderFilter, string> = {
  nonzero: "AND c.sign <> 0",
  positive: "AND c.sign > 0",
  nonnegative: "AND c.sign >= 0",
  all: "",
};

/** SIGN_FILTER in JavaScript, for rows read under a wider filter (the sign column is the balance's sign, as the scanner writes it). */
const SIGN_TEST: Record<HolderFilter, (balance: bigint) => boolean> = {
  nonzero: (balance) => balance !== 0n,
  positive: (balance) => balance > 0n,
  nonnegative: (balance) => balance >= 0n,
  all: () => true,
};

/** Whether a holder of `balance` is among the rows of `filter`. */
export function passesFilter(filter: HolderFilter, balance: bigint): boolean {
  return SIGN_TEST[filter](balance);
}

/** Whether every row of `filter` is among those of `wider`. */
export function filterWithin(filter: HolderFilter, wider: HolderFilter): boolean {
  return wider === "all" || filter === wider || (filter === "positive" && (wider === "nonzero" || wider === "nonnegative"));
}

/** How the rows of a balances query are ordered; the address breaks every tie, as sortEntries does. */
export type HolderOrder = { by: "address" | "balance" | "updated"; direction: "asc" | "desc" };

/** Hex addresses compare as JavaScript compares strings: byte order (PostgreSQL's own collation may differ). */
function binary(engine: Engine): string {
  return engine === "postgresql" ? ' COLLATE "C"' : "";
}

function orderClause(engine: Engine, order: HolderOrder): string {
  const direction = order.direction === "asc" ? "ASC" : "DESC";
  const address = `h.address${binary(engine)}`;
  if (order.by === "address") return `ORDER BY ${address} ${direction}`;
  if (order.by === "updated") return `ORDER BY c.block_number ${direction}, ${address} ASC`;
  // Balances are decimal text without leading zeros: the longer is the larger.
  return `ORDER BY length(c.balance) ${direction}, c.balance${binary(engine)} ${direction}, ${address} ASC`;
}

/**
 * Every holder's state at the end of `block`, one text column per holder ("address balance block
 * correction [time]", see parseHolderState): for each holder, one seek in the (holder_id,
 * block_number, log_index) index to its last change at or before the block (the same plan on
 * SQLite and PostgreSQL). One column rather than five because handing rows to JavaScript, not
 * finding them, is most of the query's time (see SqlClient.column). `withTime` joins the block's
 * time; otherwise blockTimes looks the few distinct blocks up afterwards, which is cheaper than a
 * join per holder. Parameters: block, token id, then the address to start after if `after` (the
 * holders with a greater address only, by the order of orderClause), then the limit if any.
 *
 * PostgreSQL takes the seek as a LATERAL subquery: given SQLite's `c.id = (subquery)`, it hashed
 * all of balance_changes and ran the subquery twice per holder as the hash key (a million holders:
 * 6.9 s, 2.4 s as LATERAL; docs/benchmarks.md, session 15). SQLite has no LATERAL.
 */
export function holderStatesSql(
  engine: Engine,
  options: { filter: HolderFilter; order?: HolderOrder; withTime: boolean; after?: boolean; limit?: boolean },
): string {
  const time = options.withTime ? " || ' ' || COALESCE(CAST(b.timestamp AS TEXT), '')" : "";
  const latest =
    engine === "postgresql"
      ? `CROSS JOIN LATERAL (
       SELECT i.balance, i.sign, i.block_number, i.correction FROM balance_changes i
       WHERE i.holder_id = h.id AND i.block_number <= ?
       ORDER BY i.block_number DESC, i.log_index DESC LIMIT 1) c`
      : `JOIN balance_changes c ON c.id = (
       SELECT i.id FROM balance_changes i
       WHERE i.holder_id = h.id AND i.block_number <= ?
       ORDER BY i.block_number DESC, i.log_index DESC LIMIT 1)`;
  return `SELECT h.address || ' ' || c.balance || ' ' || CAST(c.block_number AS TEXT) || ' ' || CAST(c.correction AS TEXT)${time} AS state
     FROM token_holders h
     ${latest}
     ${options.withTime ? "LEFT JOIN scan_blocks b ON b.token_id = h.token_id AND b.block_number = c.block_number" : ""}
     WHERE h.token_id = ? ${SIGN_FILTER[options.filter]}${options.after ? ` AND h.address${binary(engine)} > ?` : ""}
     ${options.order ? orderClause(engine, options.order) : ""}${options.limit ? " LIMIT ?" : ""}`;
}

/**
 * A row of holderStatesSql; the time is null unless the query joined it and the block is remembered.
 * Cut at the spaces by position rather than split(" "): at 100,000 holders split's array of five
 * strings per row was a third of balancesAtBlock's time (docs/benchmarks.md).
 */
export function parseHolderState(state: string): HolderBalance {
  return readHolderState(state, 0, state.length);
}

/** The row of holderStatesSql at text[start, end): "address balance block correction [time]", the correction 0 or 1. */
function readHolderState(text: string, start: number, end: number): HolderBalance {
  const afterAddress = text.indexOf(" ", start);
  const afterBalance = text.indexOf(" ", afterAddress + 1);
  const afterBlock = text.indexOf(" ", afterBalance + 1);
  const time = afterBlock + 2 < end ? text.slice(afterBlock + 3, end) : "";
  return {
    address: text.slice(start, afterAddress),
    balance: BigInt(text.slice(afterAddress + 1, afterBalance)),
    lastChangeBlock: Number(text.slice(afterBalance + 1, afterBlock)),
    lastChangeTime: time === "" ? null : Number(time),
    corrected: text.charCodeAt(afterBlock + 1) === 49,
  };
}

/** Blocks per lookup of their times (well below SQLite's limit of bound parameters). */
const BLOCKS_PER_LOOKUP = 500;

/** The times of remembered blocks (unix seconds); blocks not remembered are left out. */
export async function blockTimes(sql: SqlClient, tokenId: number, blocks: readonly number[]): Promise<Map<number, number>> {
  const times = new Map<number, number>();
  for (let start = 0; start < blocks.length; start += BLOCKS_PER_LOOKUP) {
    const slice = blocks.slice(start, start + BLOCKS_PER_LOOKUP);
    const rows = await sql.all<{ block: number; time: number }>(
      `SELECT block_number AS block, timestamp AS time FROM scan_blocks WHERE token_id = ? AND block_number IN (${slice.map(() => "?").join(", ")})`,
      [tokenId, ...slice],
    );
    for (const row of rows) times.set(Number(row.block), Number(row.time));
  }
  return times;
}

/** Holders by ascending address. */
export const BY_ADDRESS: HolderOrder = { by: "address", direction: "asc" };

/**
 * Holders per string of balancesAtBlock on SQLite: about 5 MB of text, far below the longest
 * string V8 can hold (2^29 characters; a longer one from better-sqlite3 ends the process).
 */
export const HOLDERS_PER_TEXT = 65_536;

/**
 * Every holder's balance as of the end of `block`, ordered by address (holderStatesSql), column by
 * column (HolderBalances). Holders whose balance was zero then are left out unless `includeEmpty`.
 *
 * On SQLite the rows come as a few long strings, each the rows of HOLDERS_PER_TEXT holders after
 * the last one read, joined by group_concat: one JavaScript string per 65,536 holders instead of
 * one per holder, the most of the query's time at 100,000 holders (docs/benchmarks.md, session
 * 11). group_concat keeps the order of its ordered subquery, which SQLite does not promise: the
 * order is checked, and a page out of order sorted. `holdersPerText`: smaller pages for tests.
 */
export async function balancesAtBlock(
  sql: SqlClient,
  tokenId: number,
  block: number,
  includeEmpty: boolean,
  holdersPerText = HOLDERS_PER_TEXT,
): Promise<HolderBalances> {
  const filter: HolderFilter = includeEmpty ? "all" : "nonzero";
  const balances = new HolderBalances();
  if (sql.engine === "sqlite") {
    const text = `SELECT group_concat(state, char(10)) FROM (${holderStatesSql(sql.engine, { filter, order: BY_ADDRESS, withTime: false, after: true, limit: true })})`;
    let last = "";
    for (;;) {
      const [states] = await sql.column<string | null>(text, [block, tokenId, last, holdersPerText]);
      const first = balances.length;
      if (states) balances.append(states);
      if (!inAddressOrder(balances, first, last)) balances.sortFrom(first);
      if (balances.length > first) last = balances.address(balances.length - 1);
      if (balances.length - first < holdersPerText) break;
    }
  } else {
    const states = await sql.column<string>(holderStatesSql(sql.engine, { filter, order: BY_ADDRESS, withTime: false }), [block, tokenId]);
    balances.append(states.join("\n"));
  }
  balances.setTimes(await blockTimes(sql, tokenId, balances.blocks()));
  return balances;
}

/** The rows from `first` on have rising addresses, all above `after` (the last address read before them). */
function inAddressOrder(balances: HolderBalances, first: number, after: string): boolean {
  let previous = after;
  for (let row = first; row < balances.length; row++) {
    const address = balances.address(row);
    if (!(address > previous)) return false;
    previous = address;
  }
  return true;
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
