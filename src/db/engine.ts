import fs from "node:fs";
import path from "node:path";
import { STO_VERSION } from "../version";
import type { Engine, SqlClient } from "./sql";

/** What every engine's open audit database offers. */
export interface AuditDatabase {
  readonly engine: Engine;
  /** How messages name the database: its file, or its URL with the password masked. */
  readonly name: string;
  /** Statements outside any unit of work, each committed on its own. */
  readonly sql: SqlClient;
  /**
   * A write unit of work: committed when `work` resolves, rolled back when it throws. BEGIN
   * IMMEDIATE on SQLite (one at a time per connection, other processes wait for the lock); a
   * transaction on a connection of its own on PostgreSQL, where rows, not the database, are locked.
   */
  write<T>(work: (sql: SqlClient) => Promise<T>): Promise<T>;
  /**
   * A read-only unit of work that sees one state of the database from its first statement to its
   * end, whatever other processes commit meanwhile (several passes over one cap table must add
   * up): a read transaction on SQLite (WAL), REPEATABLE READ READ ONLY on PostgreSQL.
   */
  read<T>(work: (sql: SqlClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The version of this sto, encoded for SQLite's user_version and PostgreSQL's sto_database row (major·1,000,000 + minor·1,000 + patch). */
export function encodedVersion(): number {
  const [major, minor, patch] = STO_VERSION.split(/[.-]/).map((part) => Number.parseInt(part, 10) || 0);
  return major * 1_000_000 + minor * 1_000 + patch;
}

export function decodedVersion(encoded: number): string {
  return `${Math.floor(encoded / 1_000_000)}.${Math.floor(encoded / 1_000) % 1_000}.${encoded % 1_000}`;
}


/**
 * The time of the newest migration in `folder` (drizzle's folderMillis: its journal's `when`), read
 * from the journal alone: each engine reads the migrations themselves (and hashes them) only when
 * one is pending, not on every open.
 */
export function newestMigration(folder: string): number {
  const journal = JSON.parse(fs.readFileSync(path.join(folder, "meta", "_journal.json"), "utf8")) as { entries: { when: number }[] };
  return Math.max(...journal.entries.map((entry) => entry.when));
}
