import { getTableConfig as pgTableConfig, type PgTable } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteTableConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";
import { StoError } from "../errors";
import type { ProgressListener } from "../progress";
import type { SqliteDatabase } from "./database";
import { model } from "./model";
import type { PostgresDatabase } from "./postgres";
import type { SqlClient } from "./sql";

/** The tables (each on both engines) in an order that inserts every row after the rows it points to. */
const TABLES: readonly { sqlite: SQLiteTable; pg: PgTable }[] = [
  ...[model.networks, model.broadcastAccounts, model.preparedTransactions, model.transactionSignatures, model.distributionPayments, model.payoutPayments],
  ...[model.scannedTokens, model.scanBlocks, model.tokenHolders, model.tokenTransfers, model.balanceChanges, model.scanVerifications, model.balanceCorrections],
];

/** Rows per INSERT: PostgreSQL binds at most 65,535 parameters; the widest table has 39 columns. */
const ROWS_PER_INSERT = 1_000;

export interface CopiedTable {
  table: string;
  rows: number;
}

/**
 * Copies every row of a SQLite audit database into an empty PostgreSQL one, in one transaction:
 * ids kept (so every reference still points at its row), identity sequences moved past them,
 * booleans converted, and each table's row count compared on both sides before committing. A
 * difference, an error or a target that holds rows leaves the target as it was.
 *
 * The source is read with one cursor per table (memory does not grow with its size); nothing
 * else may write to it meanwhile (sto's own commands take a write lock, which the copy's read
 * transaction would make them wait for).
 */
export async function copySqliteToPostgres(source: SqliteDatabase, target: PostgresDatabase, onProgress?: ProgressListener): Promise<CopiedTable[]> {
  const sqlite = source.sqlite;
  sqlite.exec("BEGIN");
  try {
    return await target.write(async (sql) => {
      // Nobody else may copy into or write to the target meanwhile: its tables are locked until the commit.
      const names = TABLES.map(({ pg }) => pgTableConfig(pg).name);
      await sql.run(`LOCK TABLE ${names.join(", ")} IN EXCLUSIVE MODE`);
      for (const name of names) {
        if ((await sql.get(`SELECT 1 FROM ${name} LIMIT 1`)) !== undefined) {
          throw new StoError((flag) => `${flag("to")} ${target.name}: table ${name} already holds rows; db-copy copies into an empty sto database only (nothing was copied)`);
        }
      }
      const copied: CopiedTable[] = [];
      for (const table of TABLES) copied.push(await copyTable(sqlite, sql, table, onProgress));
      for (const table of TABLES) await moveSequence(sql, table.pg);
      // The check: every table holds as many rows on both sides.
      for (const { table, rows } of copied) {
        const counted = await sql.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`);
        if (Number(counted?.n) !== rows) {
          throw new Error(`db-copy: ${table} holds ${counted?.n} rows on PostgreSQL after copying ${rows}; nothing was copied`);
        }
      }
      return copied;
    });
  } finally {
    if (sqlite.inTransaction) sqlite.exec("COMMIT");
  }
}

async function copyTable(
  sqlite: SqliteDatabase["sqlite"],
  sql: SqlClient,
  table: { sqlite: SQLiteTable; pg: PgTable },
  onProgress?: ProgressListener,
): Promise<CopiedTable> {
  const source = sqliteTableConfig(table.sqlite);
  const destination = pgTableConfig(table.pg);
  const pgColumns = new Map(destination.columns.map((column) => [column.name, column]));
  const names = source.columns.map((column) => column.name);
  for (const name of names) if (!pgColumns.has(name)) throw new Error(`db-copy: column ${source.name}.${name} has no PostgreSQL twin`);
  const booleans = names.map((name) => pgColumns.get(name)?.dataType === "boolean");
  const total = (sqlite.prepare(`SELECT count(*) AS n FROM ${source.name}`).get() as { n: number }).n;
  const quoted = names.map((name) => `"${name}"`).join(", ");
  const placeholders = `(${names.map(() => "?").join(", ")})`;
  let batch: unknown[] = [];
  let batchRows = 0;
  let copied = 0;
  const flush = async (): Promise<void> => {
    if (batchRows === 0) return;
    await sql.run(`INSERT INTO ${destination.name} (${quoted}) VALUES ${new Array<string>(batchRows).fill(placeholders).join(", ")}`, batch);
    copied += batchRows;
    onProgress?.(`Copying ${source.name}`, copied, total, "rows");
    batch = [];
    batchRows = 0;
  };
  const rows = sqlite.prepare(`SELECT ${quoted} FROM ${source.name} ORDER BY rowid`).raw(true).iterate() as IterableIterator<unknown[]>;
  for (const row of rows) {
    for (let index = 0; index < row.length; index++) {
      const value = row[index];
      batch.push(booleans[index] && value !== null ? value !== 0 : value);
    }
    batchRows++;
    if (batchRows === ROWS_PER_INSERT) await flush();
  }
  await flush();
  if (copied !== total) throw new Error(`db-copy: read ${copied} rows of ${source.name}, which holds ${total}`);
  return { table: destination.name, rows: copied };
}

/** Moves an identity column's sequence past the copied ids, so the next insert gets a new one. */
async function moveSequence(sql: SqlClient, table: PgTable): Promise<void> {
  const config = pgTableConfig(table);
  const id = config.columns.find((column) => column.name === "id" && column.primary);
  if (!id) return;
  await sql.run(
    `SELECT setval(pg_get_serial_sequence('${config.name}', 'id'), COALESCE((SELECT max(id) FROM ${config.name}), 0) + 1, false)`,
  );
}
