import type * as drizzle from "drizzle-orm";
import type { ColumnBuilderBase, Column as DrizzleColumn, SQL } from "drizzle-orm";
import type * as pg from "drizzle-orm/pg-core";
import type * as sqlite from "drizzle-orm/sqlite-core";

/*
 * The vocabulary of the model (./index.ts): a table is written once, with its columns, defaults,
 * keys, references and indexes, and `table()` builds from it the drizzle table of each engine,
 * src/db/schema (SQLite) and src/db/pg-schema (PostgreSQL), from which drizzle-kit generates the
 * migrations of each.
 *
 * A model column holds the column's builder on each engine, so each engine's table is typed by
 * drizzle exactly as if it had been written out by hand. Where the engines differ, the column kind
 * says how (see the constructors below); everything said after it (`notNull`, `default`,
 * `references`) is said to both builders.
 *
 * Each engine's builders and tables are made when that engine's tables are first asked for, and its
 * drizzle module loaded then: a command on SQLite never loads or builds the PostgreSQL ones (about
 * 60 ms of CPU of every command's start-up on a loaded machine: docs/benchmarks.md, "Session 12: start-up").
 */

type SqliteCore = typeof sqlite;
type PgCore = typeof pg;

function sqliteCore(): SqliteCore {
  return require("drizzle-orm/sqlite-core") as SqliteCore;
}

function pgCore(): PgCore {
  return require("drizzle-orm/pg-core") as PgCore;
}

/** A builder of one engine, made on first use from its drizzle module, with the steps said to it until then. */
class LazyBuilder<B> {
  private built: B | undefined;
  private readonly steps: ((builder: B) => void)[] = [];

  constructor(private readonly make: () => B) {}

  get(): B {
    if (this.built === undefined) {
      this.built = this.make();
      for (const step of this.steps) step(this.built);
    }
    return this.built;
  }

  /** Runs `step` on the builder: now if it is made, else when it is. */
  whenBuilt(step: (builder: B) => void): void {
    if (this.built === undefined) this.steps.push(step);
    else step(this.built);
  }
}

/**
 * What the model says to a builder of either engine. (Structural: drizzle's builder classes with
 * their default type arguments do not accept its own PostgreSQL builders.) Each method changes the
 * builder and returns it; the types drizzle gives the result are the NotNull/HasDefault below.
 */
interface Builder<C> {
  _: { data: unknown };
  notNull(): unknown;
  default(value: never): unknown;
  references(ref: () => C): unknown;
}
type SqliteBuilder = sqlite.SQLiteColumnBuilderBase & Builder<sqlite.AnySQLiteColumn>;
type PgBuilder = pg.PgColumnBuilderBase & Builder<pg.AnyPgColumn>;
type NotNull<T extends ColumnBuilderBase> = drizzle.NotNull<T>;
type HasDefault<T extends ColumnBuilderBase> = drizzle.HasDefault<T>;

/** One column of the model: the same column's builder on SQLite and on PostgreSQL. */
export class Column<S extends SqliteBuilder, P extends PgBuilder> {
  // Typed by the constraint, not by S and P: a field typed by them would make a column of a precise
  // type no longer a column of the model's columns (its steps take the builder as an argument).
  private readonly sqliteBuilder: LazyBuilder<SqliteBuilder>;
  private readonly pgBuilder: LazyBuilder<PgBuilder>;

  constructor(sqliteBuilder: (core: SqliteCore) => S, pgBuilder: (core: PgCore) => P) {
    this.sqliteBuilder = new LazyBuilder<SqliteBuilder>(() => sqliteBuilder(sqliteCore()));
    this.pgBuilder = new LazyBuilder<PgBuilder>(() => pgBuilder(pgCore()));
  }

  get sqlite(): S {
    return this.sqliteBuilder.get() as S;
  }

  get pg(): P {
    return this.pgBuilder.get() as P;
  }

  notNull(): Column<NotNull<S>, NotNull<P>> {
    this.sqliteBuilder.whenBuilt((builder) => builder.notNull());
    this.pgBuilder.whenBuilt((builder) => builder.notNull());
    return this as Column<SqliteBuilder, PgBuilder> as Column<NotNull<S>, NotNull<P>>;
  }

  /** The same default on both engines. */
  default(value: S["_"]["data"] & P["_"]["data"]): Column<HasDefault<S>, HasDefault<P>> {
    // `value` is the column's data type on both engines: what drizzle's default() takes.
    this.sqliteBuilder.whenBuilt((builder) => builder.default(value as never));
    this.pgBuilder.whenBuilt((builder) => builder.default(value as never));
    return this as Column<SqliteBuilder, PgBuilder> as Column<HasDefault<S>, HasDefault<P>>;
  }

  /** A default each engine writes in its own SQL (e.g. the current time). */
  defaultSql(value: { sqlite: SQL; pg: SQL }): Column<HasDefault<S>, HasDefault<P>> {
    this.sqliteBuilder.whenBuilt((builder) => builder.default(value.sqlite as never));
    this.pgBuilder.whenBuilt((builder) => builder.default(value.pg as never));
    return this as Column<SqliteBuilder, PgBuilder> as Column<HasDefault<S>, HasDefault<P>>;
  }

  /** A foreign key to `column` of `target` (a thunk: the target may be defined later). */
  references<K extends string>(target: () => Table<Record<K, sqlite.AnySQLiteColumn>, Record<K, pg.AnyPgColumn>>, column: K): this {
    this.sqliteBuilder.whenBuilt((builder) => builder.references(() => target().sqlite[column]));
    this.pgBuilder.whenBuilt((builder) => builder.references(() => target().pg[column]));
    return this;
  }
}

// Column kinds. Where a kind differs between the engines, its comment says how.

export function text<N extends string>(name: N) {
  return new Column((sqlite) => sqlite.text(name), (pg) => pg.text(name));
}

/** Text restricted (in the types) to the values listed. */
export function textEnum<N extends string, U extends string, T extends Readonly<[U, ...U[]]>>(name: N, values: T) {
  return new Column((sqlite) => sqlite.text(name, { enum: values }), (pg) => pg.text(name, { enum: values }));
}

/** A text primary key. */
export function textPrimaryKey<N extends string>(name: N) {
  return new Column((sqlite) => sqlite.text(name).primaryKey(), (pg) => pg.text(name).primaryKey());
}

/** A whole number that fits 32 bits (nonces, log indexes, decimals, counts, ids of the small tables). */
export function integer<N extends string>(name: N) {
  return new Column((sqlite) => sqlite.integer(name), (pg) => pg.integer(name));
}

/**
 * A whole number that may not fit 32 bits (chain ids, block numbers, timestamps, the scanner's
 * row ids). SQLite's integer is 64 bits; PostgreSQL's is 32, so there it is a bigint, read as a
 * JavaScript number.
 */
export function wideInteger<N extends string>(name: N) {
  return new Column((sqlite) => sqlite.integer(name), (pg) => pg.bigint(name, { mode: "number" }));
}

/** SQLite has no boolean: an integer 0/1 read as a boolean. PostgreSQL: boolean. */
export function boolean<N extends string>(name: N) {
  return new Column((sqlite) => sqlite.integer(name, { mode: "boolean" }), (pg) => pg.boolean(name));
}

/**
 * The id of a table of the ledger or of the payments: SQLite `INTEGER PRIMARY KEY AUTOINCREMENT`
 * (an id is never reused, even after the last row is deleted); PostgreSQL an integer identity.
 */
export function serialId<N extends string>(name: N) {
  return new Column(
    (sqlite) => sqlite.integer(name).primaryKey({ autoIncrement: true }),
    (pg) => pg.integer(name).primaryKey().generatedByDefaultAsIdentity(),
  );
}

/**
 * The id of a scanner table on the hot path (millions of rows): SQLite's plain rowid key
 * (AUTOINCREMENT would cost a sqlite_sequence write per row); PostgreSQL a bigint identity.
 */
export function rowId<N extends string>(name: N) {
  return new Column(
    (sqlite) => sqlite.integer(name).primaryKey(),
    (pg) => pg.bigint(name, { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
  );
}

/** An index, unique or not, possibly partial, or a composite primary key, in either engine's columns. */
export class Constraint {
  private columns: DrizzleColumn[] = [];
  private condition: SQL | undefined;

  constructor(
    private readonly kind: "index" | "uniqueIndex" | "primaryKey",
    private readonly name = "",
  ) {}

  on(...columns: [DrizzleColumn, ...DrizzleColumn[]]): this {
    this.columns = columns;
    return this;
  }

  /** A partial index: only the rows meeting `condition`. */
  where(condition: SQL): this {
    this.condition = condition;
    return this;
  }

  // The columns are the engine's own: `table()` calls the constraints once per engine with its table.
  toSqlite(): sqlite.SQLiteTableExtraConfigValue {
    const columns = this.columns as [sqlite.SQLiteColumn, ...sqlite.SQLiteColumn[]];
    const sqlite = sqliteCore();
    if (this.kind === "primaryKey") return sqlite.primaryKey({ columns });
    const built = sqlite[this.kind](this.name).on(...columns);
    return this.condition === undefined ? built : built.where(this.condition);
  }

  toPg(): pg.PgTableExtraConfigValue {
    const columns = this.columns as [pg.PgColumn, ...pg.PgColumn[]];
    const pg = pgCore();
    if (this.kind === "primaryKey") return pg.primaryKey({ columns });
    const built = pg[this.kind](this.name).on(...columns);
    return this.condition === undefined ? built : built.where(this.condition);
  }
}

export const index = (name: string) => new Constraint("index", name);
export const uniqueIndex = (name: string) => new Constraint("uniqueIndex", name);
export const primaryKey = (...columns: [DrizzleColumn, ...DrizzleColumn[]]) => new Constraint("primaryKey").on(...columns);

/** A table of the model, built on each engine. */
export interface Table<S, P> {
  sqlite: S;
  pg: P;
}

type Columns = Record<string, Column<SqliteBuilder, PgBuilder>>;

function builders<C extends Columns, E extends "sqlite" | "pg">(columns: C, engine: E): { [K in keyof C]: C[K][E] } {
  return Object.fromEntries(Object.entries(columns).map(([key, column]) => [key, column[engine]])) as { [K in keyof C]: C[K][E] };
}

/** A table of the model: its columns, and its indexes and composite key (given the engine's columns). */
export function table<N extends string, C extends Columns>(
  name: N,
  columns: C,
  constraints: (table: Record<keyof C, DrizzleColumn>) => Constraint[] = () => [],
) {
  const sqliteTable = new LazyBuilder(() =>
    sqliteCore().sqliteTable(name, builders(columns, "sqlite"), (self) => constraints(self).map((constraint) => constraint.toSqlite())),
  );
  const pgTable = new LazyBuilder(() => pgCore().pgTable(name, builders(columns, "pg"), (self) => constraints(self).map((constraint) => constraint.toPg())));
  return {
    get sqlite() {
      return sqliteTable.get();
    },
    get pg() {
      return pgTable.get();
    },
  };
}
