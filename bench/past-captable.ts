/**
 * The past cap table of 100,000 holders (issue 19): where its time goes, and the designs weighed
 * against each other, measured in one process, alternating, as CPU time (the machine is shared:
 * wall times under load say little). SQLite, the synthetic token of `--growth-only --only captable`
 * (src/devtools/synthetic-token.ts), asked at its past block (end of the first round).
 *
 *   npx tsx bench/past-captable.ts [--holders 100000] [--rounds 15]
 *
 * Shapes, each checked to return exactly what balancesAtBlock returns:
 *   before            balancesAtBlock as it was (rows parsed with split(" "))
 *   one string a row  balancesAtBlock of sessions 9 and 10: a string per row, parsed by position
 *   objects (session 11)  balancesAtBlock of session 11: the rows joined into one string by
 *                     group_concat, each read in place into an object (a BigInt and an address string)
 *   after             balancesAtBlock (on SQLite: the rows of 65,536 holders joined into one
 *                     string by group_concat, read into the columns of HolderBalances; session 13)
 *   sql: …            the SQL part alone (rows handed to JavaScript, not parsed)
 *   sql: joined       the SQL part of `after` alone (its one string of all rows)
 *   checkpoint        a stored checkpoint of every holder's state one block before the block asked
 *                     for (table balance_checkpoints below, WITHOUT ROWID, in address order) plus
 *                     the holders changed since, by the usual seek, merged by SQLite
 *   checkpoint exact  a checkpoint at the very block asked for (what a current-balances table
 *                     gives at the scanned head): the best case of both
 *   covering index    the usual query with an index holding balance, sign and correction
 *   window / max      the latest change per holder by row_number() / SQLite's bare-column max()
 * It also prints what a checkpoint costs: its write time and its size.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { balancesAtBlock, blockTimes, holderStatesSql, parseHolderState, type HolderBalance } from "../src/captable/queries";
import { LOCAL_CHAIN_ID } from "../src/chain/local-node";
import { openAuditDatabase, type SqliteDatabase } from "../src/db/database";
import { writeSyntheticToken } from "../src/devtools/synthetic-token";
import { HolderBalances } from "../src/captable/holder-balances";
import { findScannedTokenIn } from "../src/scan/store";

/** balancesAtBlock before issue 19's change: the same query, rows cut with split(" "). */
async function balancesBefore(db: SqliteDatabase, tokenId: number, block: number): Promise<HolderBalance[]> {
  const states = await db.sql.column<string>(holderStatesSql("sqlite", { filter: "nonzero", order: { by: "address", direction: "asc" }, withTime: false }), [block, tokenId]);
  const rows = states.map((state) => {
    const [address, balance, last, correction, time] = state.split(" ");
    return { address, balance: BigInt(balance), lastChangeBlock: Number(last), lastChangeTime: time === undefined || time === "" ? null : Number(time), corrected: correction === "1" };
  });
  const times = await blockTimes(db.sql, tokenId, [...new Set(rows.map((row) => row.lastChangeBlock))]);
  for (const row of rows) row.lastChangeTime = times.get(row.lastChangeBlock) ?? null;
  return rows;
}

/** balancesAtBlock of sessions 9 and 10: one string per row, cut by position. */
async function balancesPerRow(db: SqliteDatabase, tokenId: number, block: number): Promise<HolderBalance[]> {
  const states = await db.sql.column<string>(holderStatesSql("sqlite", { filter: "nonzero", order: { by: "address", direction: "asc" }, withTime: false }), [block, tokenId]);
  const rows = states.map(parseHolderState);
  const times = await blockTimes(db.sql, tokenId, [...new Set(rows.map((row) => row.lastChangeBlock))]);
  for (const row of rows) row.lastChangeTime = times.get(row.lastChangeBlock) ?? null;
  return rows;
}

/**
 * balancesAtBlock of session 11: the rows of all holders in one group_concat string (LIMIT -1),
 * each read in place into an object with a BigInt and an address string.
 */
async function balancesAsObjects(db: SqliteDatabase, joined: { get(...params: unknown[]): unknown }, tokenId: number, block: number): Promise<HolderBalance[]> {
  const text = joined.get(block, tokenId, "", -1) as string;
  const rows: HolderBalance[] = [];
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const afterAddress = text.indexOf(" ", start);
    const afterBalance = text.indexOf(" ", afterAddress + 1);
    const afterBlock = text.indexOf(" ", afterBalance + 1);
    rows.push({
      address: text.slice(start, afterAddress),
      balance: BigInt(text.slice(afterAddress + 1, afterBalance)),
      lastChangeBlock: Number(text.slice(afterBalance + 1, afterBlock)),
      lastChangeTime: null,
      corrected: text.charCodeAt(afterBlock + 1) === 49,
    });
    start = end + 1;
  }
  const blocks = new Set<number>();
  for (const row of rows) blocks.add(row.lastChangeBlock);
  const times = await blockTimes(db.sql, tokenId, [...blocks]);
  for (const row of rows) row.lastChangeTime = times.get(row.lastChangeBlock) ?? null;
  return rows;
}

const STATE = (p: string) => `${p}.address || ' ' || ${p}.balance || ' ' || CAST(${p}.last_block AS TEXT) || ' ' || CAST(${p}.correction AS TEXT)`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { holders: { type: "string", default: "100000" }, rounds: { type: "string", default: "15" } } });
  const holders = Number(values.holders);
  const rounds = Number(values.rounds);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sto-past-captable-"));
  const db = (await openAuditDatabase({ engine: "sqlite", file: path.join(dir, "past.sqlite") })) as SqliteDatabase;
  try {
    const token = await writeSyntheticToken(db, { chainId: LOCAL_CHAIN_ID, holders, seed: `bench-${holders}` });
    const scanned = await findScannedTokenIn(db.sql, LOCAL_CHAIN_ID, token.address);
    if (!scanned) throw new Error("synthetic token not found");
    const tokenId = scanned.id;
    const block = token.pastBlock;
    const sqlite = db.sqlite;
    const seek = (at: string) =>
      `(SELECT i.id FROM balance_changes i WHERE i.holder_id = h.id AND i.block_number <= ${at} ORDER BY i.block_number DESC, i.log_index DESC LIMIT 1)`;
    sqlite.exec(`CREATE TABLE balance_checkpoints (token_id INTEGER NOT NULL, block_number INTEGER NOT NULL, address TEXT NOT NULL,
      balance TEXT NOT NULL, sign INTEGER NOT NULL, last_block INTEGER NOT NULL, correction INTEGER NOT NULL,
      PRIMARY KEY (token_id, block_number, address)) WITHOUT ROWID`);
    const writeCheckpoint = (at: number) => {
      const cpu = process.cpuUsage();
      const wall = performance.now();
      sqlite
        .prepare(
          `INSERT INTO balance_checkpoints SELECT h.token_id, ?, h.address, c.balance, c.sign, c.block_number, c.correction
           FROM token_holders h JOIN balance_changes c ON c.id = ${seek("?")} WHERE h.token_id = ?`,
        )
        .run(at, at, tokenId);
      const used = process.cpuUsage(cpu);
      console.log(`checkpoint at block ${at} written: ${((used.user + used.system) / 1000).toFixed(0)} ms CPU, ${(performance.now() - wall).toFixed(0)} ms wall`);
    };
    writeCheckpoint(block - 1);
    writeCheckpoint(block);
    sqlite.exec("CREATE INDEX bench_covering ON balance_changes (holder_id, block_number, log_index, balance, sign, correction)");
    sqlite.exec("ANALYZE");
    const changed = "SELECT DISTINCT holder_id FROM balance_changes WHERE token_id = ? AND block_number > ? AND block_number <= ?";
    const checkpointSql = `SELECT state FROM (
        SELECT p.address AS address, ${STATE("p")} AS state FROM balance_checkpoints p
        WHERE p.token_id = ? AND p.block_number = ? AND p.sign <> 0
          AND p.address NOT IN (SELECT h.address FROM token_holders h WHERE h.id IN (${changed}))
        UNION ALL
        SELECT h.address, h.address || ' ' || c.balance || ' ' || CAST(c.block_number AS TEXT) || ' ' || CAST(c.correction AS TEXT)
        FROM token_holders h JOIN balance_changes c ON c.id = ${seek("?")}
        WHERE h.id IN (${changed}) AND c.sign <> 0)
      ORDER BY address`;
    const usual = holderStatesSql("sqlite", { filter: "nonzero", order: { by: "address", direction: "asc" }, withTime: false });
    // The SQL of balancesAtBlock on SQLite, every holder in one string (LIMIT -1: no limit).
    const joined = sqlite
      .prepare(`SELECT group_concat(state, char(10)) FROM (${holderStatesSql("sqlite", { filter: "nonzero", order: { by: "address", direction: "asc" }, withTime: false, after: true, limit: true })})`)
      .pluck();
    const hinted = (index: string) => usual.replace("FROM balance_changes i", `FROM balance_changes i INDEXED BY ${index}`);
    const windowSql = `SELECT h.address || ' ' || c.balance || ' ' || CAST(c.block_number AS TEXT) || ' ' || CAST(c.correction AS TEXT)
      FROM token_holders h JOIN (SELECT holder_id, balance, block_number, correction, sign,
        row_number() OVER (PARTITION BY holder_id ORDER BY block_number DESC, log_index DESC) AS rn
        FROM balance_changes WHERE token_id = ? AND block_number <= ?) c ON c.holder_id = h.id AND c.rn = 1
      WHERE c.sign <> 0 ORDER BY h.address`;
    const maxSql = `SELECT h.address || ' ' || c.balance || ' ' || CAST(c.block_number AS TEXT) || ' ' || CAST(c.correction AS TEXT)
      FROM token_holders h JOIN (SELECT holder_id, balance, block_number, correction, sign, max(block_number * 4294967296 + log_index)
        FROM balance_changes WHERE token_id = ? AND block_number <= ? GROUP BY holder_id) c ON c.holder_id = h.id
      WHERE c.sign <> 0 ORDER BY h.address`;
    const column = (text: string, params: unknown[]) => () => sqlite.prepare(text).pluck().all(...params) as string[];
    const shapes: Record<string, () => unknown> = {
      before: () => balancesBefore(db, tokenId, block),
      "one string a row": () => balancesPerRow(db, tokenId, block),
      "objects (session 11)": () => balancesAsObjects(db, joined, tokenId, block),
      after: () => balancesAtBlock(db.sql, tokenId, block, false),
      "sql: usual": column(hinted("balance_changes_holder_position"), [block, tokenId]),
      "sql: joined": () => joined.get(block, tokenId, "", -1),
      "sql: checkpoint": column(checkpointSql, [tokenId, block - 1, tokenId, block - 1, block, block, tokenId, block - 1, block]),
      "sql: checkpoint exact": column(
        `SELECT ${STATE("p")} FROM balance_checkpoints p WHERE p.token_id = ? AND p.block_number = ? AND p.sign <> 0 ORDER BY p.address`,
        [tokenId, block],
      ),
      "sql: covering index": column(hinted("bench_covering"), [block, tokenId]),
      "sql: window": column(windowSql, [tokenId, block]),
      "sql: max": column(maxSql, [tokenId, block]),
      "sql: count only": column(`SELECT count(*) FROM (${usual})`, [block, tokenId]),
    };
    const before = await balancesBefore(db, tokenId, block);
    const expected = before.map((row) => `${row.address} ${row.balance} ${row.lastChangeBlock} ${row.corrected ? 1 : 0}`);
    const state = (row: HolderBalance) => `${row.address} ${row.balance} ${row.lastChangeBlock} ${row.corrected ? 1 : 0} ${row.lastChangeTime}`;
    const expectedWithTimes = before.map(state);
    const same = (rows: unknown, wanted: string[] = expected) => JSON.stringify(rows) === JSON.stringify(wanted);
    for (const [name, run] of Object.entries(shapes)) {
      const rows = await run();
      const check = name.startsWith("sql: count")
        ? (rows as number[])[0] === expected.length
        : name === "sql: joined"
          ? rows === expected.join("\n")
          : name.startsWith("sql:")
            ? same(rows)
            : same((rows instanceof HolderBalances ? rows.toArray() : (rows as HolderBalance[])).map(state), expectedWithTimes);
      if (!check) throw new Error(`${name}: not the same rows as balancesAtBlock`);
    }
    const cpu = new Map<string, number[]>(Object.keys(shapes).map((name) => [name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const [name, run] of Object.entries(shapes)) {
        const start = process.cpuUsage();
        await run();
        const used = process.cpuUsage(start);
        cpu.get(name)!.push((used.user + used.system) / 1000);
      }
    }
    const sizes = new Map(
      (sqlite.prepare("SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name").all() as { name: string; bytes: number }[]).map((row) => [row.name, row.bytes]),
    );
    console.log(`\n${token.holders} holders, past block ${block}; CPU time, ${rounds} alternating rounds; load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
    for (const [name, values] of cpu) {
      const sorted = [...values].sort((a, b) => a - b);
      console.log(`  ${name.padEnd(24)} min ${sorted[0].toFixed(1).padStart(6)} ms   median ${sorted[Math.floor(sorted.length / 2)].toFixed(1).padStart(6)} ms`);
    }
    const mb = (name: string) => `${((sizes.get(name) ?? 0) / 1e6).toFixed(1)} MB`;
    console.log(`  sizes: balance_changes ${mb("balance_changes")} + its index ${mb("balance_changes_holder_position")}; two checkpoints ${mb("balance_checkpoints")}; covering index ${mb("bench_covering")}`);
  } finally {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
