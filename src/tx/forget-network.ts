import fs from "node:fs";
import path from "node:path";
import type { SqliteDatabase } from "../db/database";
import { StoError } from "../errors";
import { forgetScannedTokens } from "../scan/store";
import { ledgerOf } from "./ledger";

export interface ForgottenNetwork {
  /** The copy of the whole database taken before anything was deleted. */
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
 * an archive file beside it (VACUUM INTO: a consistent copy, readable with sto --database-file);
 * then, in one transaction, the network's rows are deleted: its transactions and signatures and
 * accounts (through the ledger), the payments that point at them, its scanned tokens and the
 * recorded chain id and genesis hash. The next command records the new chain.
 */
export async function forgetNetwork(db: SqliteDatabase, network: string, now: Date = new Date()): Promise<ForgottenNetwork> {
  const sqlite = db.sqlite;
  const recordedRow = sqlite.prepare("SELECT chain_id AS chainId, genesis_hash AS genesisHash FROM networks WHERE name = ?").get(network) as
    | { chainId: number; genesisHash: string | null }
    | undefined;
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const parsed = path.parse(db.file);
  const archive = path.join(parsed.dir, `${parsed.name}.${network.replace(/[^A-Za-z0-9_-]/g, "_")}-forgotten-${stamp}${parsed.ext || ".sqlite"}`);
  if (fs.existsSync(archive)) throw new StoError(`db-forget-network: the archive file ${archive} exists already: try again in a second`);
  sqlite.prepare("VACUUM INTO ?").run(archive);
  // The audit records of the archive are as private as the database's own.
  fs.chmodSync(archive, 0o600);

  let distributionPayments = 0;
  let payoutPayments = 0;
  let scannedTokens = 0;
  const { transactions, accounts } = await ledgerOf(db).forgetNetwork(network, async (ids, sql) => {
    const byTransaction = async (table: string) => {
      let deleted = 0;
      for (const id of ids) deleted += await sql.run(`DELETE FROM ${table} WHERE transaction_id = ?`, [id]);
      return deleted;
    };
    distributionPayments = await byTransaction("distribution_payments");
    payoutPayments = await byTransaction("payout_payments");
    scannedTokens = forgetScannedTokens(db, network);
    await sql.run("DELETE FROM networks WHERE name = ?", [network]);
  });
  return { archive, transactions, accounts, distributionPayments, payoutPayments, scannedTokens, recorded: recordedRow };
}
