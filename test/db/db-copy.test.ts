import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSto } from "../helpers/cli";
import { startWorld, type E2eWorld } from "../helpers/e2e";
import { freshPostgresDatabase, queryPostgres } from "../helpers/postgres";
import { EXAMPLE_CSV, issueToken, settle } from "../distribution/helpers";

const TABLES = [
  "networks",
  "broadcast_accounts",
  "prepared_transactions",
  "transaction_signatures",
  "distribution_payments",
  "payout_payments",
  "scanned_tokens",
  "scan_blocks",
  "token_holders",
  "token_transfers",
  "balance_changes",
  "scan_verifications",
  "balance_corrections",
];
const BOOLEANS = new Set(["is_deployment", "succeeded", "starts_at_creation"]);

/** The columns a table's rows are ordered by, on both sides. */
const keyOf = (table: string): string => (table === "networks" ? "name" : table === "scan_blocks" ? "token_id, block_number" : "id");

/** Every row of a table of the SQLite file, booleans as booleans, in key order. */
function sqliteRows(file: string, table: string): Record<string, unknown>[] {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare(`SELECT * FROM ${table} ORDER BY ${keyOf(table)}`).all() as Record<string, unknown>[];
    return rows.map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) => [key, BOOLEANS.has(key) && value !== null ? value === 1 : value])));
  } finally {
    db.close();
  }
}

/**
 * db-copy moves a whole audit database — a token issued, a distribution prepared and paid, a
 * scanned cap table — to PostgreSQL, and sto carries on there as if nothing had happened.
 */
describe("sto db-copy --from <sqlite> --to <postgresql>", () => {
  let world: E2eWorld;
  let tokenAddress: string;
  beforeAll(async () => {
    world = await startWorld();
    tokenAddress = await issueToken(world);
    await world.ok(["distribute-multiple", `--csv-input=${EXAMPLE_CSV}`, `--address=${tokenAddress}`]);
    await settle(world);
    await world.ok(["token-scan", `--token-address=${tokenAddress}`]);
    await world.ok(["issue", "--symbol=TWO", "--name=Second corp", "--url=https://two.example", "--amount=5"]);
  });
  afterAll(() => world.close());
  /** A new PostgreSQL database with the SQLite database copied into it (each test its own). */
  const copied = async (): Promise<string> => {
    const target = await freshPostgresDatabase();
    const result = await runSto(["db-copy", "--from", world.databaseFile, "--to", target], { cwd: world.dir });
    expect(result.code, result.stderr).toBe(0);
    return target;
  };

  it("copies every row of every table, and says how many", async () => {
    const target = await freshPostgresDatabase();
    const result = await runSto(["--json", "db-copy", "--from", world.databaseFile, "--to", target], { cwd: world.dir });
    expect(result.code, result.stderr).toBe(0);
    const reported = JSON.parse(result.stdout) as { tables: { table: string; rows: number }[]; to: string };
    expect(reported.to).not.toContain(new URL(target).password);
    expect(reported.tables.map((entry) => entry.table)).toEqual(TABLES);
    for (const table of TABLES) {
      const rows = sqliteRows(world.databaseFile, table);
      const copied = await queryPostgres<Record<string, unknown>>(target, `SELECT * FROM ${table} ORDER BY ${keyOf(table)}`, []);
      expect(copied, table).toEqual(rows);
      expect(reported.tables.find((entry) => entry.table === table)?.rows, table).toBe(rows.length);
    }
    // Not an empty copy: the distribution's payments, its transactions and the scanned history came along.
    expect(reported.tables.find((entry) => entry.table === "distribution_payments")?.rows).toBeGreaterThan(0);
    expect(reported.tables.find((entry) => entry.table === "balance_changes")?.rows).toBeGreaterThan(0);
  });

  it("leaves a database sto carries on with: nothing paid twice, new rows get new ids", async () => {
    const target = await copied();
    const url = new URL(target);
    const password = decodeURIComponent(url.password);
    url.password = "";
    const sto = (args: string[]) => runSto(["--database-url", url.href, "--ethereum-node-url", world.chain.url, ...args], { cwd: world.dir, env: { PGPASSWORD: password } });
    const again = await sto(["--json", "distribute-multiple", `--csv-input=${EXAMPLE_CSV}`, `--address=${tokenAddress}`]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ newRows: 0 });
    // The issue prepared before the copy, then a new one: sent and confirmed from PostgreSQL.
    const issued = await sto(["issue", "--symbol=THR", "--name=Third corp", "--url=https://three.example", "--amount=5"]);
    expect(issued.code, issued.stderr).toBe(0);
    for (const command of ["tx-broadcast", "tx-update"]) {
      const run = await sto([command]);
      expect(run.code, run.stderr).toBe(0);
    }
    const statuses = await queryPostgres<{ status: string; n: number }>(target, "SELECT status, count(*) AS n FROM prepared_transactions GROUP BY status", []);
    expect(statuses.map((row) => row.status)).toEqual(["success"]);
  });

  it("refuses a target that holds rows, and copies nothing", async () => {
    const target = await copied();
    const before = await queryPostgres<{ n: number }>(target, "SELECT count(*) AS n FROM prepared_transactions", []);
    const result = await runSto(["db-copy", "--from", world.databaseFile, "--to", target], { cwd: world.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: --to postgresql:\/\/sto_test:\*\*\*@127\.0\.0\.1:\d+\/\w+: table networks already holds rows; db-copy copies into an empty sto database only \(nothing was copied\)$/m);
    expect(result.stderr).not.toContain(new URL(target).password);
    expect(await queryPostgres<{ n: number }>(target, "SELECT count(*) AS n FROM prepared_transactions", [])).toEqual(before);
  });

  it("refuses a source that does not exist", async () => {
    const result = await runSto(["db-copy", "--from", path.join(world.dir, "missing.sqlite"), "--to", await freshPostgresDatabase()], { cwd: world.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: --from .*missing\.sqlite: no such file$/m);
  });
});
