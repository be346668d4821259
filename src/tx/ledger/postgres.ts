import { and, asc, eq, gte, inArray, type SQL } from "drizzle-orm";
import { nowIso } from "../../db/database";
import { model } from "../../db/model";
import type { PgUnit, PostgresDatabase } from "../../db/postgres";
import type { SqlClient } from "../../db/sql";
import { ExitCode, StoError } from "../../errors";
import {
  SignatureConflict,
  type AccountKey,
  type LedgerAccount,
  type MinedSignature,
  type NonceAllocation,
  type PreparedTransaction,
  type ResultChange,
  type SignedVersion,
  type TransactionSignature,
  type TransactionState,
  type TxLedger,
  type UnminedFilter,
} from "./ledger";
import { resultUpdate } from "./result-update";
import { checkMove, SENDABLE_STATUSES, UNMINED_STATUSES } from "./states";
import * as records from "./records";
import * as views from "./views";

/**
 * The ledger's PostgreSQL tables (those of src/db/pg-schema), built when a PostgreSQL ledger first
 * uses them: every command loads this module through ./index.ts, and one on SQLite never builds them.
 */
const tables = {
  get preparedTransactions() {
    return model.preparedTransactions.pg;
  },
  get broadcastAccounts() {
    return model.broadcastAccounts.pg;
  },
  get transactionSignatures() {
    return model.transactionSignatures.pg;
  },
};

/** Rows per INSERT: PostgreSQL binds at most 65,535 parameters, a row has about 25. */
const INSERT_CHUNK = 500;

/**
 * The ledger on a PostgreSQL audit database shared by several processes and machines. Each
 * write is a transaction on a connection of its own (READ COMMITTED); what makes it safe is
 * row locks, not a database lock:
 * - `allocate` locks the account's `broadcast_accounts` row (SELECT ... FOR UPDATE) for its whole
 *   unit of work, so units of work of one account run one after the other, wherever they run;
 * - the write-ahead record is an UPDATE whose WHERE holds what its writer saw (hash, status): a
 *   second writer waits for the first one's row lock, then finds the row changed and is refused;
 * - status changes (markBroadcasted, markExported) carry their allowed sources in their WHERE.
 */
export class PostgresLedger extends views.LedgerViews implements TxLedger {
  constructor(private readonly db: PostgresDatabase) {
    super(tables.preparedTransactions);
  }

  private unit<T>(work: (unit: PgUnit) => Promise<T>): Promise<T> {
    return this.db.unit(work);
  }

  // --- accounts and nonces

  async findAccount(key: AccountKey): Promise<LedgerAccount | undefined> {
    const [row] = await this.db.orm
      .select()
      .from(tables.broadcastAccounts)
      .where(views.accountWhere(tables.broadcastAccounts, key));
    return row;
  }

  async openAccount(key: AccountKey, startNonce: () => Promise<number>): Promise<LedgerAccount> {
    const existing = await this.findAccount(key);
    if (existing) return existing;
    const nonce = await startNonce();
    const now = nowIso();
    // Another process may create it at the same moment: the unique index decides, the first one wins.
    await this.db.orm
      .insert(tables.broadcastAccounts)
      .values({ network: key.network, chainId: key.chainId, address: key.address, nextNonce: nonce, createdAt: now, updatedAt: now })
      .onConflictDoNothing();
    const created = await this.findAccount(key);
    if (!created) throw new Error("broadcast account row was not created");
    return created;
  }

  restartNonce(key: AccountKey, networkNonce: number, databaseName: string): Promise<{ previous?: number; next: number }> {
    return this.unit(async ({ orm, sql }) => {
      const now = nowIso();
      const [account] = await orm
        .select()
        .from(tables.broadcastAccounts)
        .where(views.accountWhere(tables.broadcastAccounts, key))
        .for("update");
      if (!account) {
        const inserted = await orm
          .insert(tables.broadcastAccounts)
          .values({ network: key.network, chainId: key.chainId, address: key.address, nextNonce: networkNonce, createdAt: now, updatedAt: now })
          .onConflictDoNothing()
          .returning();
        if (inserted.length === 0) throw new StoError(`another sto process created the account ${key.address} on ${key.network} meanwhile; run the command again`);
        return { next: networkNonce };
      }
      if ((await sql.get("SELECT 1 FROM prepared_transactions WHERE account_id = ? LIMIT 1", [account.id])) !== undefined) {
        throw new StoError(
          `database ${databaseName} already holds transactions of ${key.address} on ${key.network}: restarting the nonce would reuse their nonces; use a new database`,
          ExitCode.StateMismatch,
        );
      }
      await orm.update(tables.broadcastAccounts).set({ nextNonce: networkNonce, updatedAt: now }).where(eq(tables.broadcastAccounts.id, account.id));
      return { previous: account.nextNonce, next: networkNonce };
    });
  }

  allocate<T>(accountId: number, work: (allocation: NonceAllocation) => Promise<T>): Promise<T> {
    return this.unit(async ({ orm, sql }) => {
      // The account's write lock: held until this unit commits or rolls back.
      const [current] = await orm.select().from(tables.broadcastAccounts).where(eq(tables.broadcastAccounts.id, accountId)).for("update");
      if (!current) throw new Error(`broadcast account ${accountId} disappeared from the database`);
      let nextNonce = current.nextNonce;
      const allocation: NonceAllocation = {
        accountId,
        nextNonce,
        sql,
        insert: async (rows) => {
          if (rows.length === 0) return [];
          views.checkNewRows(rows, accountId, nextNonce);
          const stored: PreparedTransaction[] = [];
          for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
            const inserted = await orm
              .insert(tables.preparedTransactions)
              .values(rows.slice(start, start + INSERT_CHUNK))
              .returning();
            stored.push(...inserted.sort((a, b) => a.nonce - b.nonce));
          }
          return stored;
        },
        advanceTo: async (nonce) => {
          views.checkAdvance(accountId, nextNonce, nonce);
          nextNonce = nonce;
          await sql.run("UPDATE broadcast_accounts SET next_nonce = ?, updated_at = ? WHERE id = ?", [nonce, nowIso(), accountId]);
        },
      };
      return work(allocation);
    });
  }

  // --- views

  /** Rows of prepared_transactions matching `where`, by nonce unless `order` says otherwise. */
  protected rows(where: SQL | undefined, order: SQL = asc(tables.preparedTransactions.nonce), limit?: number): Promise<PreparedTransaction[]> {
    const query = this.db.orm.select().from(tables.preparedTransactions).where(where).orderBy(order).$dynamic();
    return limit === undefined ? query : query.limit(limit);
  }

  async transactionsById(ids: readonly number[]): Promise<PreparedTransaction[]> {
    if (ids.length === 0) return [];
    return this.rows(inArray(tables.preparedTransactions.id, [...ids]));
  }

  async countUnmined(filter: UnminedFilter): Promise<number> {
    return this.db.orm.$count(tables.preparedTransactions, views.unmined(tables.preparedTransactions, filter));
  }

  async unminedIdsFrom(network: string, from: string, fromNonce: number): Promise<Set<number>> {
    const rows = await this.db.orm
      .select({ id: tables.preparedTransactions.id })
      .from(tables.preparedTransactions)
      .where(
        and(
          eq(tables.preparedTransactions.network, network),
          eq(tables.preparedTransactions.fromAddress, from),
          gte(tables.preparedTransactions.nonce, fromNonce),
          inArray(tables.preparedTransactions.status, [...UNMINED_STATUSES]),
        ),
      );
    return new Set(rows.map((row) => row.id));
  }

  async transactionStates(ids: readonly number[]): Promise<Map<number, TransactionState>> {
    const states = new Map<number, TransactionState>();
    if (ids.length === 0) return states;
    const rows = await this.db.sql.all<TransactionState>(
      "SELECT id, status, nonce, tx_hash AS \"txHash\", from_address AS \"fromAddress\" FROM prepared_transactions WHERE id = ANY(?::integer[])",
      [[...new Set(ids)]],
    );
    for (const row of rows) states.set(row.id, row);
    return states;
  }

  async signaturesOf(transactionId: number): Promise<TransactionSignature[]> {
    return this.db.orm
      .select()
      .from(tables.transactionSignatures)
      .where(eq(tables.transactionSignatures.transactionId, transactionId))
      .orderBy(asc(tables.transactionSignatures.id));
  }

  async signaturesOfMany(transactionIds: readonly number[]): Promise<Map<number, TransactionSignature[]>> {
    const rows: TransactionSignature[] = [];
    // One round trip per 10,000 transactions (PostgreSQL binds at most 65,535 parameters).
    for (let offset = 0; offset < transactionIds.length; offset += 10_000) {
      const ids = transactionIds.slice(offset, offset + 10_000);
      rows.push(...(await this.db.orm.select().from(tables.transactionSignatures).where(inArray(tables.transactionSignatures.transactionId, ids)).orderBy(asc(tables.transactionSignatures.id))));
    }
    rows.sort((a, b) => a.id - b.id);
    return views.groupSignatures(transactionIds, rows);
  }

  // --- writes

  recordSignatures(versions: readonly SignedVersion[]): Promise<void> {
    if (versions.length === 0) return Promise.resolve();
    return this.unit(({ sql }) => writeSignatures(sql, versions));
  }

  markBroadcasted(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    return this.unit(({ sql }) => writeBroadcasted(sql, ids));
  }

  async commitBroadcastChunk(sentIds: readonly number[], next: readonly SignedVersion[]): Promise<void> {
    if (sentIds.length === 0 && next.length === 0) return;
    const conflict = await this.unit(async ({ sql }): Promise<SignatureConflict | undefined> => {
      await writeBroadcasted(sql, sentIds);
      if (next.length === 0) return undefined;
      // A savepoint: on a conflict the signatures are undone, the marks above kept.
      await sql.run("SAVEPOINT signatures");
      try {
        await writeSignatures(sql, next);
        await sql.run("RELEASE SAVEPOINT signatures");
      } catch (error) {
        await sql.run("ROLLBACK TO SAVEPOINT signatures");
        if (error instanceof SignatureConflict) return error;
        throw error;
      }
      return undefined;
    });
    if (conflict) throw conflict;
  }

  markExported(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    return this.unit(async ({ sql }) => {
      await sql.run("UPDATE prepared_transactions SET status = 'exported' WHERE id = ANY(?::integer[]) AND status = 'waiting'", [[...ids]]);
    });
  }

  async recordResults(changes: readonly ResultChange[], signatures: readonly MinedSignature[]): Promise<void> {
    for (const change of changes) checkMove(change.from, change.set.status, change.nonce);
    await this.unit(async ({ sql }) => {
      // Guarded by the status the change was decided from, as on SQLite: a row another process
      // moved meanwhile is left as that process wrote it, signatures included.
      const moved = new Set<number>();
      for (const change of changes) {
        const update = resultUpdate(tables.preparedTransactions, change);
        if ((await sql.run(update.sql, update.params)) === 0) moved.add(change.id);
      }
      for (const change of signatures) {
        if (moved.has(change.transactionId)) continue;
        await sql.run("UPDATE transaction_signatures SET status = 'pending' WHERE transaction_id = ? AND status IN ('mined','replaced')", [change.transactionId]);
        if (change.minedHash) {
          await sql.run("UPDATE transaction_signatures SET status = 'mined' WHERE transaction_id = ? AND tx_hash = ?", [change.transactionId, change.minedHash]);
          await sql.run("UPDATE transaction_signatures SET status = 'replaced' WHERE transaction_id = ? AND tx_hash <> ? AND status <> 'rejected'", [
            change.transactionId,
            change.minedHash,
          ]);
        }
      }
    });
  }

  async recordRejection(txHash: string, message: string): Promise<void> {
    await this.db.sql.run("UPDATE transaction_signatures SET status = 'rejected', node_error = ? WHERE tx_hash = ? AND status = 'pending'", [message, txHash]);
  }

  async clearRejection(txHash: string): Promise<void> {
    await this.db.sql.run("UPDATE transaction_signatures SET status = 'pending', node_error = NULL WHERE tx_hash = ? AND status = 'rejected'", [txHash]);
  }

  forgetNetwork(
    network: string,
    dependents: (transactionIds: readonly number[], sql: SqlClient) => void | Promise<void>,
  ): Promise<{ transactions: number; accounts: number }> {
    return this.unit(async ({ sql }) => {
      const ids = (await sql.all<{ id: number }>("SELECT id FROM prepared_transactions WHERE network = ?", [network])).map((row) => row.id);
      await dependents(ids, sql);
      await sql.run("DELETE FROM transaction_signatures WHERE transaction_id IN (SELECT id FROM prepared_transactions WHERE network = ?)", [network]);
      const transactions = await sql.run("DELETE FROM prepared_transactions WHERE network = ?", [network]);
      const accounts = await sql.run("DELETE FROM broadcast_accounts WHERE network = ?", [network]);
      return { transactions, accounts };
    });
  }

  async recordVerification(id: number, info: string, verifiedAt?: string): Promise<void> {
    await this.db.orm
      .update(tables.preparedTransactions)
      .set(verifiedAt !== undefined ? { verifiedAt, verificationInfo: info } : { verificationInfo: info })
      .where(eq(tables.preparedTransactions.id, id));
  }
}

/**
 * The write-ahead record, inside the caller's transaction. The UPDATE's WHERE is the guard: the
 * row must still hold the hash (and status) its writer saw. A concurrent writer of the same row
 * waits for this one's row lock and then re-reads the row: it finds the new hash and is refused.
 */
async function writeSignatures(sql: SqlClient, versions: readonly SignedVersion[]): Promise<void> {
  for (const version of versions) {
    const { statuses } = version.expect;
    const changes = await sql.run(
      `${records.RECORD_SIGNED} WHERE id = ? AND tx_hash IS NOT DISTINCT FROM ?::text${statuses ? " AND status = ANY(?::text[])" : ""}`,
      [...records.recordSignedValues(version), ...(statuses ? [[...statuses]] : [])],
    );
    if (changes !== 1) throw new SignatureConflict(version.nonce);
    const firstOfRow = version.keepEarlier !== undefined && (await sql.get(records.HAS_SIGNATURES, [version.transactionId])) === undefined;
    for (const values of records.signatureValues(version, firstOfRow)) await sql.run(records.INSERT_SIGNATURE, values);
  }
}

/** Every row of `ids` still in a sendable status becomes broadcasted (a no-op for the others). */
async function writeBroadcasted(sql: SqlClient, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await sql.run(
    "UPDATE prepared_transactions SET status = 'broadcasted', broadcast_at = COALESCE(broadcast_at, ?) WHERE id = ANY(?::integer[]) AND status = ANY(?::text[])",
    [nowIso(), [...ids], [...SENDABLE_STATUSES]],
  );
}
