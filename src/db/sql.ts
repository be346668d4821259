import type Database from "better-sqlite3";
import type { Statement } from "better-sqlite3";

export type Engine = "sqlite" | "postgresql";

/**
 * Plain SQL on either engine, for the modules that own a table of their own (distribution and
 * payout payments, networks): `?` placeholders, rows as the database names their columns (use
 * `AS` for camelCase). Whether a statement is inside a unit of work depends on where the client
 * came from: `db.sql` commits each statement, the client handed to a unit of work (the ledger's
 * `allocate`, `db.write`) is that unit's transaction.
 *
 * Portable SQL only: TRUE/FALSE for booleans, no engine-specific functions; integers of 64 bits
 * come back as numbers on both engines.
 */
export interface SqlClient {
  readonly engine: Engine;
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  /** Runs a statement and returns how many rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

/** A unique constraint refused a row (another process wrote the same key first). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "23505";
}

/** better-sqlite3 binds no booleans: they are stored as 0/1, as drizzle does. */
function sqliteParams(params: readonly unknown[]): unknown[] {
  return params.map((value) => (typeof value === "boolean" ? (value ? 1 : 0) : value));
}

/** The SQLite client: statements compiled once per connection and reused. */
export function sqliteClient(sqlite: Database.Database): SqlClient {
  const statements = new Map<string, Statement>();
  const statement = (sql: string): Statement => {
    let found = statements.get(sql);
    if (!found) {
      found = sqlite.prepare(sql);
      statements.set(sql, found);
    }
    return found;
  };
  return {
    engine: "sqlite",
    all: async <T>(sql: string, params: readonly unknown[] = []) => statement(sql).all(...sqliteParams(params)) as T[],
    get: async <T>(sql: string, params: readonly unknown[] = []) => statement(sql).get(...sqliteParams(params)) as T | undefined,
    run: async (sql: string, params: readonly unknown[] = []) => statement(sql).run(...sqliteParams(params)).changes,
  };
}

/** `?` placeholders as PostgreSQL's `$1, $2, ...` (our statements have no `?` inside literals). */
export function numberedPlaceholders(sql: string): string {
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
}

/** What the PostgreSQL client needs of a connection or pool (pg's Client, PoolClient and Pool have it). */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

export function postgresClient(connection: PgQueryable): SqlClient {
  const texts = new Map<string, string>();
  const text = (sql: string): string => {
    let found = texts.get(sql);
    if (found === undefined) {
      found = numberedPlaceholders(sql);
      texts.set(sql, found);
    }
    return found;
  };
  return {
    engine: "postgresql",
    all: async <T>(sql: string, params: readonly unknown[] = []) => (await connection.query(text(sql), [...params])).rows as T[],
    get: async <T>(sql: string, params: readonly unknown[] = []) => (await connection.query(text(sql), [...params])).rows[0] as T | undefined,
    run: async (sql: string, params: readonly unknown[] = []) => (await connection.query(text(sql), [...params])).rowCount ?? 0,
  };
}
