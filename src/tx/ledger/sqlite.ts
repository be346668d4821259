import type { Statement } from "better-sqlite3";
import { asc, eq, getTableColumns, inArray, type SQL } from "drizzle-orm";
import { nowIso, type SqliteDatabase } from "../../db/database";
import type { SqlClient } from "../../db/sql";
import { broadcastAccounts, preparedTransactions, transactionSignatures } from "../../db/schema";
import { ExitCode, StoError } from "../../errors";
import {
  SignatureConflict,
  type AccountKey,
  type LedgerAccount,
  type MinedSignature,
  type NewPreparedTransaction,
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

/** SQLite binds at most 32766 parameters; lookups by id go in chunks well below that. */
const ID_CHUNK = 500;

const placeholders = (count: number): string => new Array<string>(count).fill("?").join(",");
const SENDABLE_SQL = SENDABLE_STATUSES.map((status) => `'${status}'`).join(",");

/**
 * The ledger on the SQLite audit database (better-sqlite3). Its write lock is the database's:
 * BEGIN IMMEDIATE, so processes sharing the file serialise their writes. Within the process, the
 * connection is one: units of work run one at a time (a queue), awaits inside them included.
 */
export class SqliteLedger extends views.LedgerViews implements TxLedger {
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: SqliteDatabase) {
    super(preparedTransactions);
  }

  /** A prepared statement, compiled once per connection. */
  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.sqlite.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Runs `work` in one write transaction, started with BEGIN IMMEDIATE, committed when it returns
   * and rolled back when it throws (the database's unit of work: one at a time on the connection,
   * other processes wait for the lock).
   */
  private exclusive<T>(work: () => Promise<T> | T): Promise<T> {
    return this.db.write(async () => work());
  }

  // --- accounts and nonces

  async findAccount(key: AccountKey): Promise<LedgerAccount | undefined> {
    return this.findAccountNow(key);
  }

  private findAccountNow(key: AccountKey): LedgerAccount | undefined {
    return this.db.orm
      .select()
      .from(broadcastAccounts)
      .where(views.accountWhere(broadcastAccounts, key))
      .get();
  }

  async openAccount(key: AccountKey, startNonce: () => Promise<number>): Promise<LedgerAccount> {
    const existing = this.findAccountNow(key);
    if (existing) return existing;
    const nonce = await startNonce();
    return this.exclusive(() => {
      const raced = this.findAccountNow(key);
      if (raced) return raced;
      const now = nowIso();
      return this.db.orm
        .insert(broadcastAccounts)
        .values({ network: key.network, chainId: key.chainId, address: key.address, nextNonce: nonce, createdAt: now, updatedAt: now })
        .returning()
        .get();
    });
  }

  restartNonce(key: AccountKey, networkNonce: number, databaseName: string): Promise<{ previous?: number; next: number }> {
    return this.exclusive(() => {
      const account = this.findAccountNow(key);
      const now = nowIso();
      if (!account) {
        this.db.orm
          .insert(broadcastAccounts)
          .values({ network: key.network, chainId: key.chainId, address: key.address, nextNonce: networkNonce, createdAt: now, updatedAt: now })
          .run();
        return { next: networkNonce };
      }
      if (this.statement("SELECT 1 FROM prepared_transactions WHERE account_id = ? LIMIT 1").get(account.id) !== undefined) {
        throw new StoError(
          (name) =>
            `database ${databaseName} already holds transactions of ${key.address} on ${key.network}: restarting the nonce would reuse their nonces; use a new ${name("databaseFile")}`,
          ExitCode.StateMismatch,
        );
      }
      this.db.orm.update(broadcastAccounts).set({ nextNonce: networkNonce, updatedAt: now }).where(eq(broadcastAccounts.id, account.id)).run();
      return { previous: account.nextNonce, next: networkNonce };
    });
  }

  allocate<T>(accountId: number, work: (allocation: NonceAllocation) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      const current = this.db.orm.select().from(broadcastAccounts).where(eq(broadcastAccounts.id, accountId)).get();
      if (!current) throw new Error(`broadcast account ${accountId} disappeared from the database`);
      let nextNonce = current.nextNonce;
      const allocation: NonceAllocation = {
        accountId,
        nextNonce,
        sql: this.db.sql,
        insert: async (rows) => {
          if (rows.length === 0) return [];
          views.checkNewRows(rows, accountId, nextNonce);
          return this.insertTransactions(rows);
        },
        advanceTo: async (nonce) => {
          views.checkAdvance(accountId, nextNonce, nonce);
          nextNonce = nonce;
          this.statement("UPDATE broadcast_accounts SET next_nonce = ?, updated_at = ? WHERE id = ?").run(nonce, nowIso(), accountId);
        },
      };
      return work(allocation);
    });
  }

  /**
   * Inserts the rows with one prepared statement run per row and returns them as stored.
   * Drizzle's insert builds its SQL per value (about 100 µs per row): for the thousands of rows of
   * a distribution that was most of the time spent preparing. The statement is built from the
   * schema's column metadata, so it follows schema changes. Runs inside the write transaction.
   */
  private insertTransactions(rows: NewPreparedTransaction[]): PreparedTransaction[] {
    const columns = getTableColumns(preparedTransactions);
    const keys = Object.keys(rows[0]) as (keyof NewPreparedTransaction)[];
    const insert = this.statement(
      `INSERT INTO prepared_transactions (${keys.map((key) => `"${columns[key].name}"`).join(", ")}) VALUES (${keys.map(() => "?").join(", ")})`,
    );
    const ids: number[] = [];
    // The column's own conversion (booleans to 0/1 and so on), as drizzle's insert does; one array
    // of values reused for every row (better-sqlite3 copies them when it binds).
    const converters = keys.map((key) => columns[key]);
    const values: unknown[] = new Array(keys.length);
    for (const row of rows) {
      for (let index = 0; index < keys.length; index++) {
        const value = row[keys[index]];
        values[index] = value === undefined || value === null ? null : converters[index].mapToDriverValue(value);
      }
      ids.push(Number(insert.run(values).lastInsertRowid));
    }
    const built = buildStoredRows(rows, ids);
    if (built) return built;
    const { accountId, nonce } = rows[0];
    return this.rows(views.inRange(preparedTransactions, { accountId, startNonce: nonce, count: rows.length }, 0, rows.length));
  }

  // --- views

  /** Rows of prepared_transactions matching `where`, by nonce unless `order` says otherwise. */
  protected rows(where: SQL | undefined, order: SQL = asc(preparedTransactions.nonce), limit?: number): PreparedTransaction[] {
    const query = this.db.orm.select().from(preparedTransactions).where(where).orderBy(order).$dynamic();
    return (limit === undefined ? query : query.limit(limit)).all();
  }

  async transactionsById(ids: readonly number[]): Promise<PreparedTransaction[]> {
    // Each id once, and the rows of all chunks in nonce order (as one query would give them).
    const unique = [...new Set(ids)];
    const rows: PreparedTransaction[] = [];
    for (let start = 0; start < unique.length; start += ID_CHUNK) {
      rows.push(...this.rows(inArray(preparedTransactions.id, unique.slice(start, start + ID_CHUNK))));
    }
    return rows.sort((a, b) => a.nonce - b.nonce || a.id - b.id);
  }

  async countUnmined(filter: UnminedFilter): Promise<number> {
    return this.db.orm.$count(preparedTransactions, views.unmined(preparedTransactions, filter));
  }

  async unminedIdsFrom(network: string, from: string, fromNonce: number): Promise<Set<number>> {
    const ids = this.statement(
      `SELECT id FROM prepared_transactions WHERE network = ? AND from_address = ? AND nonce >= ? AND status IN (${placeholders(UNMINED_STATUSES.length)})`,
    )
      .pluck()
      .all(network, from, fromNonce, ...UNMINED_STATUSES) as number[];
    return new Set(ids);
  }

  async transactionStates(ids: readonly number[]): Promise<Map<number, TransactionState>> {
    const states = new Map<number, TransactionState>();
    const unique = [...new Set(ids)];
    for (let start = 0; start < unique.length; start += ID_CHUNK) {
      const chunk = unique.slice(start, start + ID_CHUNK);
      const rows = this.statement(
        `SELECT id, status, nonce, tx_hash AS txHash, from_address AS fromAddress FROM prepared_transactions WHERE id IN (${placeholders(chunk.length)})`,
      ).all(...chunk) as TransactionState[];
      for (const row of rows) states.set(row.id, row);
    }
    return states;
  }

  async signaturesOf(transactionId: number): Promise<TransactionSignature[]> {
    return this.db.orm
      .select()
      .from(transactionSignatures)
      .where(eq(transactionSignatures.transactionId, transactionId))
      .orderBy(asc(transactionSignatures.id))
      .all();
  }

  async signaturesOfMany(transactionIds: readonly number[]): Promise<Map<number, TransactionSignature[]>> {
    const rows: TransactionSignature[] = [];
    // SQLite binds at most 32,766 variables a statement.
    for (let offset = 0; offset < transactionIds.length; offset += 10_000) {
      const ids = transactionIds.slice(offset, offset + 10_000);
      rows.push(...this.db.orm.select().from(transactionSignatures).where(inArray(transactionSignatures.transactionId, ids)).orderBy(asc(transactionSignatures.id)).all());
    }
    rows.sort((a, b) => a.id - b.id);
    return views.groupSignatures(transactionIds, rows);
  }

  // --- writes

  recordSignatures(versions: readonly SignedVersion[]): Promise<void> {
    if (versions.length === 0) return Promise.resolve();
    return this.exclusive(() => this.writeSignatures(versions));
  }

  /**
   * The write-ahead record, inside the caller's write transaction. The UPDATE's WHERE is the
   * guard: the row must still hold the hash (and status) its writer saw.
   */
  private writeSignatures(versions: readonly SignedVersion[]): void {
    const insert = this.statement(records.INSERT_SIGNATURE);
    const hasSignatures = this.statement(records.HAS_SIGNATURES);
    for (const version of versions) {
      const { statuses } = version.expect;
      const update = this.statement(`${records.RECORD_SIGNED} WHERE id = ? AND tx_hash IS ?${statuses ? ` AND status IN (${placeholders(statuses.length)})` : ""}`);
      const changes = update.run(...records.recordSignedValues(version), ...(statuses ?? [])).changes;
      if (changes !== 1) throw new SignatureConflict(version.nonce);
      const firstOfRow = version.keepEarlier !== undefined && hasSignatures.get(version.transactionId) === undefined;
      for (const values of records.signatureValues(version, firstOfRow)) insert.run(values);
    }
  }

  markBroadcasted(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    return this.exclusive(() => this.writeBroadcasted(ids));
  }

  /** Every row of `ids` still in a sendable status becomes broadcasted (a no-op for the others). */
  private writeBroadcasted(ids: readonly number[]): void {
    if (ids.length === 0) return;
    const update = this.statement(
      `UPDATE prepared_transactions SET status = 'broadcasted', broadcast_at = COALESCE(broadcast_at, ?) WHERE id = ? AND status IN (${SENDABLE_SQL})`,
    );
    const now = nowIso();
    for (const id of ids) update.run(now, id);
  }

  commitBroadcastChunk(sentIds: readonly number[], next: readonly SignedVersion[]): Promise<void> {
    if (sentIds.length === 0 && next.length === 0) return Promise.resolve();
    return this.exclusive(() => {
      this.writeBroadcasted(sentIds);
      if (next.length === 0) return;
      // A savepoint: on a conflict the signatures are undone, the marks above kept.
      this.db.sqlite.exec("SAVEPOINT signatures");
      try {
        this.writeSignatures(next);
        this.db.sqlite.exec("RELEASE signatures");
      } catch (error) {
        this.db.sqlite.exec("ROLLBACK TO signatures");
        this.db.sqlite.exec("RELEASE signatures");
        // The marks are committed; the conflict is reported once they are.
        if (error instanceof SignatureConflict) return error;
        throw error;
      }
      return undefined;
    }).then((conflict) => {
      if (conflict) throw conflict;
    });
  }

  markExported(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    return this.exclusive(() => {
      const update = this.statement("UPDATE prepared_transactions SET status = 'exported' WHERE id = ? AND status = 'waiting'");
      for (const id of ids) update.run(id);
    });
  }

  async recordResults(changes: readonly ResultChange[], signatures: readonly MinedSignature[]): Promise<void> {
    for (const change of changes) checkMove(change.from, change.set.status, change.nonce);
    await this.exclusive(() => {
      // Guarded by the status the change was decided from: a row another process moved meanwhile
      // (a concurrent tx-update or tx-broadcast) is left as that process wrote it, signatures
      // included, for the next tx-update to read again.
      const moved = new Set<number>();
      for (const change of changes) {
        const update = resultUpdate(preparedTransactions, change);
        if (this.statement(update.sql).run(...update.params).changes === 0) moved.add(change.id);
      }
      const reset = this.statement("UPDATE transaction_signatures SET status = 'pending' WHERE transaction_id = ? AND status IN ('mined','replaced')");
      const mined = this.statement("UPDATE transaction_signatures SET status = 'mined' WHERE transaction_id = ? AND tx_hash = ?");
      const replaced = this.statement("UPDATE transaction_signatures SET status = 'replaced' WHERE transaction_id = ? AND tx_hash != ? AND status != 'rejected'");
      for (const change of signatures) {
        if (moved.has(change.transactionId)) continue;
        reset.run(change.transactionId);
        if (change.minedHash) {
          mined.run(change.transactionId, change.minedHash);
          replaced.run(change.transactionId, change.minedHash);
        }
      }
    });
  }

  recordRejection(txHash: string, message: string): Promise<void> {
    return this.exclusive(() => {
      this.statement("UPDATE transaction_signatures SET status = 'rejected', node_error = ? WHERE tx_hash = ? AND status = 'pending'").run(message, txHash);
    });
  }

  async clearRejection(txHash: string): Promise<void> {
    // Read first: called after every send, and a write would cost a commit each time.
    if (this.statement("SELECT 1 FROM transaction_signatures WHERE tx_hash = ? AND status = 'rejected'").get(txHash) === undefined) return;
    await this.exclusive(() => {
      this.statement("UPDATE transaction_signatures SET status = 'pending', node_error = NULL WHERE tx_hash = ? AND status = 'rejected'").run(txHash);
    });
  }

  recordVerification(id: number, info: string, verifiedAt?: string): Promise<void> {
    return this.exclusive(() => {
      this.db.orm
        .update(preparedTransactions)
        .set(verifiedAt !== undefined ? { verifiedAt, verificationInfo: info } : { verificationInfo: info })
        .where(eq(preparedTransactions.id, id))
        .run();
    });
  }

  forgetNetwork(
    network: string,
    dependents: (transactionIds: readonly number[], sql: SqlClient) => void | Promise<void>,
  ): Promise<{ transactions: number; accounts: number }> {
    return this.exclusive(async () => {
      const sqlite = this.db.sqlite;
      const ids = (sqlite.prepare("SELECT id FROM prepared_transactions WHERE network = ?").all(network) as { id: number }[]).map((row) => row.id);
      await dependents(ids, this.db.sql);
      sqlite
        .prepare("DELETE FROM transaction_signatures WHERE transaction_id IN (SELECT id FROM prepared_transactions WHERE network = ?)")
        .run(network);
      const transactions = sqlite.prepare("DELETE FROM prepared_transactions WHERE network = ?").run(network).changes;
      const accounts = sqlite.prepare("DELETE FROM broadcast_accounts WHERE network = ?").run(network).changes;
      return { transactions, accounts };
    });
  }

}

/**
 * The rows as SQLite stores them after the inserts: the inserted values, the new ids and NULL in
 * the other columns. Undefined when that cannot be trusted (a column left out has a default, or a
 * value does not map back to itself), and the caller reads them back instead. Building them spares
 * reading the 10,000 rows of a large distribution back through drizzle (about 0.2 s).
 */
export function buildStoredRows(rows: readonly NewPreparedTransaction[], ids: readonly number[]): PreparedTransaction[] | undefined {
  if (rows.length === 0) return [];
  const columns = getTableColumns(preparedTransactions);
  const keys = Object.keys(rows[0]) as (keyof NewPreparedTransaction)[];
  const given = new Set<string>(keys);
  const plain = (value: unknown) =>
    value === undefined || value === null || typeof value === "string" || typeof value === "boolean" || Number.isSafeInteger(value);
  const buildable =
    Object.entries(columns).every(([key, column]) => key === "id" || given.has(key) || !column.hasDefault) &&
    keys.every((key) => key !== "id" && ["string", "number", "boolean"].includes(columns[key].dataType)) &&
    rows.every((row) => Object.keys(row).length === keys.length && keys.every((key) => plain(row[key])));
  if (!buildable) return undefined;
  const allKeys = Object.keys(columns);
  return rows.map((row, index) => {
    const stored: Record<string, unknown> = {};
    for (const key of allKeys) stored[key] = (row as Record<string, unknown>)[key] ?? null;
    stored.id = ids[index];
    return stored as PreparedTransaction;
  });
}
