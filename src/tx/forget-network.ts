import fs from "node:fs";
import path from "node:path";
import type { SqliteDatabase, StoDatabase } from "../db/database";
import type { SqlClient } from "../db/sql";
import { StoError } from "../errors";
import { forgetScannedTokens } from "../scan/store";
import { ledgerOf } from "./ledger";

export interface ForgottenNetwork {
  /**
   * The copy of the whole database taken before anything was deleted: a SQLite file beside the
   * database, or on PostgreSQL a schema of the same database.
   */
  archive: string;
  transactions: number;
  accounts: number;
  distributionPayments: number;
  payoutPayments: number;
  scannedTokens: number;
  /** The chain id and genesis hash the database had recorded for the network; undefined when it had none. */
  recorded?: { chainId: number; genesisHash: string | null };
}

/**
 * db-forget-network: for a database whose network is now another chain (a restarted local chain,
 * a node with the same chain id and another genesis block). First the whole database is copied to
 * an archive; then the network's rows are deleted: its transactions and signatures and accounts
 * (through the ledger), the payments that point at them, its scanned tokens and the recorded chain
 * id and genesis hash. The next command records the new chain.
 *
 * On SQLite the archive is a file beside the database (VACUUM INTO: a consistent copy, readable with
 * sto --database-file), written before the deleting transaction. On PostgreSQL it is a schema of
 * the same database holding a copy of every table, created in the deleting transaction itself: the
 * copy and the deletion are committed together or not at all.
 */
export async function forgetNetwork(db: StoDatabase, network: string, now: Date = new Date()): Promise<ForgottenNetwork> {
  const recorded = await db.sql.get<{ chainId: number; genesisHash: string | null }>(
    'SELECT chain_id AS "chainId", genesis_hash AS "genesisHash" FROM networks WHERE name = ?',
    [network],
  );
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const archive = db.engine === "sqlite" ? archiveFile(db, network, stamp) : archiveSchema(network, stamp);

  let distributionPayments = 0;
  let payoutPayments = 0;
  let scannedTokens = 0;
  const { transactions, accounts } = await ledgerOf(db).forgetNetwork(network, async (ids, sql) => {
    if (db.engine === "postgresql") await copyToSchema(sql, archive);
    const byTransaction = async (table: string) => {
      let deleted = 0;
      for (const id of ids) deleted += await sql.run(`DELETE FROM ${table} WHERE transaction_id = ?`, [id]);
      return deleted;
    };
    distributionPayments = await byTransaction("distribution_payments");
    payoutPayments = await byTransaction("payout_payments");
    scannedTokens = await forgetScannedTokens(sql, network);
    await sql.run("DELETE FROM networks WHERE name = ?", [network]);
  });
  return { archive, transactions, accounts, distributionPayments, payoutPayments, scannedTokens, recorded: recorded ?? undefined };
}

/** The SQLite archive: FILE.NETWORK-forgotten-TIME.sqlite beside the database, written now. */
function archiveFile(db: SqliteDatabase, network: string, stamp: string): string {
  const parsed = path.parse(db.file);
  const archive = path.join(parsed.dir, `${parsed.name}.${network.replace(/[^A-Za-z0-9_-]/g, "_")}-forgotten-${stamp}${parsed.ext || ".sqlite"}`);
  if (fs.existsSync(archive)) throw new StoError(`db-forget-network: the archive file ${archive} exists already: try again in a second`);
  db.sqlite.prepare("VACUUM INTO ?").run(archive);
  // The audit records of the archive are as private as the database's own.
  fs.chmodSync(archive, 0o600);
  return archive;
}

/** The PostgreSQL archive's schema name: sto_forgotten_NETWORK_TIME, lower case, within 63 characters. */
function archiveSchema(network: string, stamp: string): string {
  const name = network.toLowerCase().replace(/[^a-z0-9_]/g, "_").slice(0, 24);
  return `sto_forgotten_${name}_${stamp.toLowerCase()}`;
}

/**
 * Every table of the database's schema copied, rows and all, into a new schema `archive`, inside
 * the caller's transaction. Access to it is that of the database: whoever may read sto's tables.
 */
async function copyToSchema(sql: SqlClient, archive: string): Promise<void> {
  const exists = await sql.get("SELECT 1 FROM information_schema.schemata WHERE schema_name = ?", [archive]);
  if (exists) throw new StoError(`db-forget-network: the archive schema ${archive} exists already: try again in a second`);
  const tables = await sql.all<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
  );
  await sql.run(`CREATE SCHEMA "${archive}"`);
  for (const { name } of tables) await sql.run(`CREATE TABLE "${archive}"."${name.replace(/"/g, '""')}" AS TABLE "${name.replace(/"/g, '""')}"`);
}
