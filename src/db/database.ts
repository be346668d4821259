import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { renderFieldText, StoError } from "../errors";
import { PACKAGE_ROOT } from "../package-root";
import * as schema from "./schema";
import { STO_VERSION } from "../version";
import { describeDatabaseFailure } from "./failures";
import { decodedVersion, encodedVersion, newestMigration, type AuditDatabase } from "./engine";
import type { PostgresDatabase } from "./postgres";
import { sqliteClient, type SqlClient } from "./sql";
import type { DatabaseTarget } from "../config/database";

export type Schema = typeof schema;
export type Drizzle = BetterSQLite3Database<Schema>;

export const MIGRATIONS_DIR = path.join(PACKAGE_ROOT, "drizzle");

export type { AuditDatabase } from "./engine";

/** An open SQLite audit database: the drizzle handle and the raw connection for hot paths. */
export interface SqliteDatabase extends AuditDatabase {
  readonly engine: "sqlite";
  file: string;
  /** Made on first use: drizzle's driver is loaded only by commands that query through it (the scan writes raw SQL). */
  readonly orm: Drizzle;
  sqlite: Database.Database;
  /**
   * Runs synchronous `work` in one write transaction started with BEGIN IMMEDIATE, so that two
   * processes preparing at once serialise instead of both reading the same nonce. All or nothing.
   * Not inside `write` (the connection has one transaction at a time).
   */
  writeTransaction<T>(work: () => T): T;
}

/** An open audit database, SQLite or PostgreSQL. */
export type StoDatabase = SqliteDatabase | PostgresDatabase;

/**
 * Opens the audit database a command is configured with: the SQLite file, or PostgreSQL (whose
 * client is loaded only then).
 */
export async function openAuditDatabase(target: DatabaseTarget): Promise<StoDatabase> {
  if (target.engine === "sqlite") return openDatabase(target.file);
  const { openPostgresDatabase } = await import("./postgres");
  return openPostgresDatabase(target);
}

/**
 * The SQLite database, for what needs SQLite itself (the benchmarks' raw reads); a one-line error
 * on PostgreSQL. Every command runs on both engines.
 */
export function sqliteOnly(db: StoDatabase, what: string): SqliteDatabase {
  if (db.engine === "sqlite") return db;
  throw new StoError((name) => `${what} does not run on PostgreSQL yet (database ${db.name}); use a SQLite ${name("databaseFile")} for it`);
}

/**
 * SQLite's application_id of an audit database ("sto1"), set when sto creates the file, so that a
 * file of another program is told apart from ours before anything is written to it.
 */
export const STO_APPLICATION_ID = 0x73746f31;

/**
 * Opens (creating if needed) the SQLite audit database, in WAL mode, and applies pending
 * migrations. A file that is not a SQLite database, a database of another program and a database
 * written by a newer sto stop with a one-line error before anything is written to them.
 */
export function openDatabase(file: string): SqliteDatabase {
  if (file.trim() === "") throw new StoError("database-file: empty; give the audit database's file name");
  const directory = path.dirname(path.resolve(file));
  if (!fs.existsSync(directory)) {
    throw new StoError(`database-file ${file}: directory ${directory} does not exist`);
  }
  createPrivately(file);
  let sqlite: Database.Database;
  try {
    sqlite = new Database(file);
    checkOwnership(file, sqlite);
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("busy_timeout = 30000");
    sqlite.pragma("foreign_keys = ON");
    sqlite.pragma("synchronous = FULL");
  } catch (error) {
    if (error instanceof StoError) throw error;
    const failure = describeDatabaseFailure(error);
    if (failure && !/NOTADB/.test(String((error as { code?: unknown }).code))) throw new StoError((name) => `database-file ${file}: ${renderFieldText(failure, name)}`);
    throw new StoError(`database-file ${file}: cannot open as SQLite database (${(error as Error).message})`);
  }
  let orm: Drizzle | undefined;
  try {
    applyMigrations(sqlite, file);
  } catch (error) {
    sqlite.close();
    if (error instanceof StoError) throw error;
    const failure = describeDatabaseFailure(error);
    if (failure) throw new StoError((name) => `database-file ${file}: ${renderFieldText(failure, name)}`);
    throw new StoError(`database-file ${file}: cannot apply migrations (${(error as Error).message})`);
  }
  const client = sqliteClient(sqlite);
  // Units of work of this process queue on its one connection: awaits inside one are safe because
  // nothing else of the process uses the connection meanwhile.
  let queue: Promise<unknown> = Promise.resolve();
  const write = <T>(work: (sql: SqlClient) => Promise<T>): Promise<T> => {
    const run = async (): Promise<T> => {
      if (sqlite.inTransaction) throw new Error("a unit of work was started inside another transaction on the same connection");
      sqlite.exec("BEGIN IMMEDIATE");
      try {
        const result = await work(client);
        sqlite.exec("COMMIT");
        return result;
      } catch (error) {
        if (sqlite.inTransaction) sqlite.exec("ROLLBACK");
        throw error;
      }
    };
    const result = queue.then(run, run);
    queue = result.catch(() => undefined);
    return result;
  };
  const read = <T>(work: (sql: SqlClient) => Promise<T>): Promise<T> => {
    const run = async (): Promise<T> => {
      if (sqlite.inTransaction) throw new Error("a unit of work was started inside another transaction on the same connection");
      // DEFERRED: the snapshot is taken at the first read and kept until COMMIT; no write lock.
      sqlite.exec("BEGIN DEFERRED");
      try {
        return await work(client);
      } finally {
        if (sqlite.inTransaction) sqlite.exec("COMMIT");
      }
    };
    const result = queue.then(run, run);
    queue = result.catch(() => undefined);
    return result;
  };
  return {
    engine: "sqlite",
    name: file,
    file,
    get orm(): Drizzle {
      return (orm ??= drizzleOf(sqlite));
    },
    sqlite,
    sql: client,
    write,
    read,
    writeTransaction: <T>(work: () => T): T => sqlite.transaction(work).immediate(),
    close: async () => {
      if (sqlite.open) sqlite.close();
    },
  };
}

/**
 * A new database file is created readable by its owner only: it holds investors' names, e-mails and
 * addresses. SQLite gives its -wal and -shm files the database file's permissions.
 */
function createPrivately(file: string): void {
  try {
    fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return;
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw new StoError(`database-file ${file}: cannot create the file (${code})`);
  }
}

/**
 * Refuses a non-empty database that is not sto's: pointing --database-file at another program's
 * file must not add sto's tables to it or switch it to WAL.
 */
function checkOwnership(file: string, sqlite: Database.Database): void {
  const applicationId = sqlite.pragma("application_id", { simple: true }) as number;
  if (applicationId === STO_APPLICATION_ID) return;
  const tables = (sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map(
    (row) => row.name,
  );
  if (tables.length === 0 && applicationId === 0) return;
  // Databases created before the application id was set are recognised by their tables.
  if (applicationId === 0 && tables.includes("__drizzle_migrations") && tables.includes("prepared_transactions")) return;
  const shown = tables.slice(0, 5).join(", ") + (tables.length > 5 ? ", …" : "");
  throw new StoError(
    (name) =>
      `database-file ${file}: not a sto audit database (${tables.length === 0 ? `application id ${applicationId}` : `it holds other tables: ${shown}`}); nothing was changed: give another ${name("databaseFile")}`,
  );
}

function drizzleOf(sqlite: Database.Database): Drizzle {
  const { drizzle } = require("drizzle-orm/better-sqlite3") as typeof import("drizzle-orm/better-sqlite3");
  return drizzle(sqlite, { schema });
}

/** ISO-8601 UTC timestamp with milliseconds, the format of every time column. */
export function nowIso(): string {
  return new Date().toISOString();
}

/**
 * Applies the drizzle-kit migrations in drizzle/, in the migrations table drizzle uses. When none is
 * pending (every run but the first after an upgrade) nothing is locked: read-only commands never wait
 * for another process's write. Otherwise they are applied inside one BEGIN IMMEDIATE transaction that
 * re-reads the applied state: two processes opening a fresh file at once cannot both apply the same
 * migration (drizzle's own migrator reads before it locks). A database migrated by a newer sto is
 * refused: this sto would read tables it does not know and fail half-way through its writes.
 */
function applyMigrations(sqlite: Database.Database, file: string): void {
  const newestKnown = newestMigration(MIGRATIONS_DIR);
  const appliedUntil = (): number => {
    const hasTable = sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get();
    if (!hasTable) return -1;
    const last = sqlite
      .prepare("SELECT created_at FROM __drizzle_migrations ORDER BY created_at DESC LIMIT 1")
      .get() as { created_at: number | string } | undefined;
    return last ? Number(last.created_at) : -1;
  };
  const checkNotNewer = (applied: number): void => {
    if (applied <= newestKnown) return;
    const writer = sqlite.pragma("user_version", { simple: true }) as number;
    const by = writer > encodedVersion() ? `sto ${decodedVersion(writer)}` : "a newer sto";
    throw new StoError(
      `database-file ${file}: its schema was written by ${by} (migration of ${new Date(applied).toISOString()}), newer than this sto ${STO_VERSION} knows; use that sto or a newer one`,
    );
  };
  const before = appliedUntil();
  checkNotNewer(before);
  if (before >= newestKnown) return;
  const { readMigrationFiles } = require("drizzle-orm/migrator") as typeof import("drizzle-orm/migrator");
  const migrations = readMigrationFiles({ migrationsFolder: MIGRATIONS_DIR });
  sqlite
    .transaction(() => {
      const applied = appliedUntil();
      checkNotNewer(applied);
      if (applied === -1 && sqlite.prepare("SELECT count(*) AS n FROM sqlite_master").pluck().get() === 0) {
        sqlite.pragma(`application_id = ${STO_APPLICATION_ID}`);
      }
      sqlite.exec(
        "CREATE TABLE IF NOT EXISTS __drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)",
      );
      const record = sqlite.prepare("INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)");
      for (const migration of migrations) {
        if (migration.folderMillis <= applied) continue;
        for (const statement of migration.sql) {
          if (statement.trim() !== "") sqlite.exec(statement);
        }
        record.run(migration.hash, migration.folderMillis);
      }
      // Which sto last moved the schema forward, so that an older sto can name it when it refuses.
      sqlite.pragma(`user_version = ${encodedVersion()}`);
    })
    .immediate();
}
