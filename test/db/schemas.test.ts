import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { getTableName, is, Table } from "drizzle-orm";
import { getTableConfig as pgTableConfig, PgTable } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import { describe, expect, expectTypeOf, it } from "vitest";
import * as pgSchema from "../../src/db/pg-schema";
import * as sqliteSchema from "../../src/db/schema";

/**
 * The SQLite tables (src/db/schema) and the PostgreSQL ones (src/db/pg-schema), both built from the
 * model (src/db/model), must describe the same tables: the ledger's records, the payments and the
 * scanner's rows are read and written by name on both engines, and db-copy moves rows column by
 * column. This checks that the model's vocabulary (src/db/model/define.ts) says everything to both.
 */
const ROOT = resolve(__dirname, "../..");

interface Shape {
  columns: Record<string, { notNull: boolean; hasDefault: boolean; primary: boolean; kind: string }>;
  primaryKey: string[];
  indexes: Record<string, { columns: string[]; unique: boolean; where: boolean }>;
  foreignKeys: string[];
}

/** What the two dialects' column types mean for the rows: numbers, text, booleans. */
function kind(dataType: string): string {
  return dataType === "bigint" ? "number" : dataType;
}

function tablesOf(schema: Record<string, unknown>): Map<string, Table> {
  const tables = new Map<string, Table>();
  for (const value of Object.values(schema)) if (is(value, Table)) tables.set(getTableName(value), value);
  return tables;
}

function shape(table: Table): Shape {
  const config = is(table, PgTable) ? pgTableConfig(table) : sqliteTableConfig(table as SQLiteTable);
  const columns: Shape["columns"] = {};
  for (const column of config.columns) {
    columns[column.name] = { notNull: column.notNull, hasDefault: column.hasDefault, primary: column.primary, kind: kind(column.dataType) };
  }
  const indexes: Shape["indexes"] = {};
  for (const index of config.indexes) {
    indexes[index.config.name ?? "(unnamed)"] = {
      columns: index.config.columns.map((column) => (column as { name: string }).name),
      unique: index.config.unique,
      where: index.config.where !== undefined,
    };
  }
  return {
    columns,
    primaryKey: config.primaryKeys.flatMap((key) => key.columns.map((column) => column.name)),
    indexes,
    foreignKeys: config.foreignKeys
      .map((key) => {
        const reference = key.reference();
        return `${reference.columns.map((column) => column.name).join(",")} -> ${getTableName(reference.foreignTable)}(${reference.foreignColumns.map((column) => column.name).join(",")})`;
      })
      .sort(),
  };
}

describe("the PostgreSQL schema", () => {
  const sqlite = tablesOf(sqliteSchema);
  const pg = tablesOf(pgSchema);

  it("has the SQLite schema's tables", () => {
    expect([...pg.keys()].sort()).toEqual([...sqlite.keys()].sort());
    expect(pg.size).toBe(13);
  });

  it.each([...tablesOf(sqliteSchema).keys()])("%s: the same columns, keys, indexes and references", (name) => {
    expect(shape(pg.get(name) as Table)).toEqual(shape(sqlite.get(name) as Table));
  });

  it("gives the same records", () => {
    expectTypeOf<typeof pgSchema.preparedTransactions.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.preparedTransactions.$inferSelect>();
    expectTypeOf<typeof pgSchema.preparedTransactions.$inferInsert>().toEqualTypeOf<typeof sqliteSchema.preparedTransactions.$inferInsert>();
    expectTypeOf<typeof pgSchema.transactionSignatures.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.transactionSignatures.$inferSelect>();
    expectTypeOf<typeof pgSchema.broadcastAccounts.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.broadcastAccounts.$inferSelect>();
    expectTypeOf<typeof pgSchema.scannedTokens.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.scannedTokens.$inferSelect>();
    expectTypeOf<typeof pgSchema.distributionPayments.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.distributionPayments.$inferSelect>();
    expectTypeOf<typeof pgSchema.payoutPayments.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.payoutPayments.$inferSelect>();
    expectTypeOf<typeof pgSchema.balanceChanges.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.balanceChanges.$inferSelect>();
    expectTypeOf<typeof pgSchema.tokenTransfers.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.tokenTransfers.$inferSelect>();
    expectTypeOf<typeof pgSchema.tokenHolders.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.tokenHolders.$inferSelect>();
    expectTypeOf<typeof pgSchema.scanBlocks.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.scanBlocks.$inferSelect>();
    expectTypeOf<typeof pgSchema.networks.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.networks.$inferSelect>();
    expectTypeOf<typeof pgSchema.scanVerifications.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.scanVerifications.$inferSelect>();
    expectTypeOf<typeof pgSchema.balanceCorrections.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.balanceCorrections.$inferSelect>();
  });
});

/**
 * The migrations in drizzle/ are what drizzle-kit generated from the model: generating again, for
 * each engine, into a copy of drizzle/ finds nothing to migrate. Fails when the model (or the way
 * src/db/model/define.ts builds an engine's tables from it) changes a column, key, default or index
 * without a migration, so a database created by the migrations is the database the code expects.
 */
describe("the migrations", () => {
  it.each([
    ["sqlite", "./src/db/schema/index.ts", ""],
    ["postgresql", "./src/db/pg-schema/index.ts", "pg"],
  ])("%s: drizzle-kit generates nothing new from the model", (dialect, schema, folder) => {
    const directory = mkdtempSync(join(tmpdir(), "sto-migrations-"));
    try {
      const out = join(directory, "out");
      cpSync(join(ROOT, "drizzle", folder), out, { recursive: true, filter: (source) => folder !== "" || !source.startsWith(join(ROOT, "drizzle", "pg")) });
      const before = readdirSync(out, { recursive: true }).sort();
      const drizzleKit = join(ROOT, "node_modules", "drizzle-kit", "bin.cjs");
      // drizzle-kit takes --out relative to the working directory (it prefixes "./").
      const run = spawnSync(process.execPath, [drizzleKit, "generate", "--dialect", dialect, "--schema", schema, "--out", relative(ROOT, out)], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, TMPDIR: directory }, // its TypeScript loader's cache, removed below
      });
      expect(run.status).toBe(0);
      expect(run.stdout + run.stderr).toContain("No schema changes");
      expect(readdirSync(out, { recursive: true }).sort()).toEqual(before);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }, 60_000);
});
