import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { StoError } from "../errors";
import { PACKAGE_ROOT } from "../package-root";
import * as schema from "./schema";

export type Schema = typeof schema;
export type Drizzle = BetterSQLite3Database<Schema>;

export const MIGRATIONS_DIR = path.join(PACKAGE_ROOT, "drizzle");

/** An open audit database: the drizzle handle and the raw connection for hot paths. */
export interface StoDatabase {
  file: string;
  orm: Drizzle;
  sqlite: Database.Database;
  /**
   * Runs `work` in one write transaction started with BEGIN IMMEDIATE, so that two processes
   * preparing at once serialise instead of both reading the same nonce. All or nothing.
   */
  writeTransaction<T>(work: () => T): T;
  close(): void;
}

/**
 * Opens (creating if needed) the SQLite audit database, in WAL mode, and applies pending
 * migrations. A file that is not a SQLite database stops with a one-line error.
 */
export function openDatabase(file: string): StoDatabase {
  const directory = path.dirname(path.resolve(file));
  if (!fs.existsSync(directory)) {
    throw new StoError(`database-file ${file}: directory ${directory} does not exist`);
  }
  let sqlite: Database.Database;
  try {
    sqlite = new Database(file);
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("busy_timeout = 30000");
    sqlite.pragma("foreign_keys = ON");
    sqlite.pragma("synchronous = FULL");
  } catch (error) {
    throw new StoError(`database-file ${file}: cannot open as SQLite database (${(error as Error).message})`);
  }
  const orm = drizzle(sqlite, { schema });
  try {
    applyMigrations(sqlite);
  } catch (error) {
    sqlite.close();
    throw new StoError(`database-file ${file}: cannot apply migrations (${(error as Error).message})`);
  }
  return {
    file,
    orm,
    sqlite,
    writeTransaction: <T>(work: () => T): T => sqlite.transaction(work).immediate(),
    close: () => {
      if (sqlite.open) sqlite.close();
    },
  };
}

/** ISO-8601 UTC timestamp with milliseconds, the format of every time column. */
export function nowIso(): string {
  return new Date().toISOString();
}

/**
 * Applies the drizzle-kit migrations in drizzle/, in the migrations table drizzle uses, inside one
 * BEGIN IMMEDIATE transaction that re-reads the applied state: two processes opening a fresh file
 * at once cannot both apply the same migration (drizzle's own migrator reads before it locks).
 */
function applyMigrations(sqlite: Database.Database): void {
  const migrations = readMigrationFiles({ migrationsFolder: MIGRATIONS_DIR });
  sqlite
    .transaction(() => {
      sqlite.exec(
        "CREATE TABLE IF NOT EXISTS __drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)",
      );
      const last = sqlite
        .prepare("SELECT created_at FROM __drizzle_migrations ORDER BY created_at DESC LIMIT 1")
        .get() as { created_at: number | string } | undefined;
      const appliedUntil = last ? Number(last.created_at) : -1;
      const record = sqlite.prepare("INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)");
      for (const migration of migrations) {
        if (migration.folderMillis <= appliedUntil) continue;
        for (const statement of migration.sql) {
          if (statement.trim() !== "") sqlite.exec(statement);
        }
        record.run(migration.hash, migration.folderMillis);
      }
    })
    .immediate();
}
