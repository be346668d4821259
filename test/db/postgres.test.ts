import { unusedLoopbackPort } from "../../src/devtools/ports";
import { afterAll, describe, expect, it } from "vitest";
import { runSto, tempDir } from "../helpers/cli";
import { freshPostgresDatabase, queryPostgres } from "../helpers/postgres";

const PASSWORD = "s3cr3t-Pa55word";

function expectNoPassword(result: { stdout: string; stderr: string }, password: string): void {
  expect(result.stdout).not.toContain(password);
  expect(result.stderr).not.toContain(password);
}

describe("--database-url: choosing PostgreSQL", () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it("never prints the password: a server that is not there", async () => {
    const url = `postgresql://alice:${PASSWORD}@127.0.0.1:${await unusedLoopbackPort()}/audit`;
    const result = await runSto(["--database-url", url, "tx-last"], { cwd: tmp.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: database-url postgresql:\/\/alice:\*\*\*@127\.0\.0\.1:\d+\/audit: the PostgreSQL server refused the connection/m);
    expectNoPassword(result, PASSWORD);
  });

  it("never prints the password: from the environment, in a query parameter, in the warnings", async () => {
    const port = await unusedLoopbackPort();
    const fromEnv = await runSto(["tx-last"], { cwd: tmp.dir, env: { STO_DATABASE_URL: `postgres://bob:${PASSWORD}@127.0.0.1:${port}/audit` } });
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.stderr).toContain("postgres://bob:***@127.0.0.1");
    expectNoPassword(fromEnv, PASSWORD);
    const parameter = await runSto(["--database-url", `postgresql://bob@127.0.0.1:${port}/audit?password=${PASSWORD}&sslmode=disable`, "tx-last"], { cwd: tmp.dir });
    expect(parameter.code).toBe(1);
    expect(parameter.stderr).toContain("password=***");
    expectNoPassword(parameter, PASSWORD);
    // Given on the command line, the password is visible in the process list: the warning says so without repeating it.
    const flag = await runSto(["--database-url", `postgresql://bob:${PASSWORD}@127.0.0.1:${port}/audit`, "tx-last"], { cwd: tmp.dir });
    expect(flag.stderr).toMatch(/warning: the database password was given on the command line/);
    expectNoPassword(flag, PASSWORD);
  });

  it("refuses a wrong password with one line, without printing either password", async () => {
    const url = new URL(await freshPostgresDatabase());
    url.password = PASSWORD;
    const result = await runSto(["--database-url", url.href, "tx-last"], { cwd: tmp.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: database-url postgresql:\/\/sto_test:\*\*\*@127\.0\.0\.1:\d+\/sto_\w+: the PostgreSQL server refused the login .*check the user, PGPASSWORD or ~\/\.pgpass$/m);
    expectNoPassword(result, PASSWORD);
    expectNoPassword(result, decodeURIComponent(new URL(process.env.STOTEST_POSTGRES_URL as string).password));
  });

  it("refuses a file and a URL given together, and URLs that are not PostgreSQL's", async () => {
    const both = await runSto(["--database-file", "a.sqlite", "--database-url", "postgresql://u@127.0.0.1/db", "tx-last"], { cwd: tmp.dir });
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/error: both a SQLite file \(--database-file\) and a PostgreSQL database \(--database-url\) are given: keep one/);
    const mixed = await runSto(["--database-url", "postgresql://u@127.0.0.1/db", "tx-last"], { cwd: tmp.dir, env: { STO_DATABASE_FILE: "b.sqlite" } });
    expect(mixed.stderr).toMatch(/both a SQLite file \(environment variable STO_DATABASE_FILE\) and a PostgreSQL database \(--database-url\)/);
    const mysql = await runSto(["--database-url", `mysql://u:${PASSWORD}@127.0.0.1/db`, "tx-last"], { cwd: tmp.dir });
    expect(mysql.stderr).toMatch(/^error: --database-url: mysql URLs are not supported; give postgresql:\/\/user@host:port\/database \(value not shown\)$/m);
    expectNoPassword(mysql, PASSWORD);
    const noDatabase = await runSto(["--database-url", `postgresql://u:${PASSWORD}@127.0.0.1:5432`, "tx-last"], { cwd: tmp.dir });
    expect(noDatabase.stderr).toMatch(/^error: --database-url: postgresql:\/\/u:\*\*\*@127\.0\.0\.1:5432: name one database after the host/m);
  });
});

describe("a PostgreSQL audit database's schema", () => {
  it("is created once when six processes open a fresh database at the same moment", async () => {
    const url = await freshPostgresDatabase();
    const runs = await Promise.all(Array.from({ length: 6 }, () => runSto(["--database-url", url, "tx-last"])));
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    const migrations = await queryPostgres<{ n: number }>(url, "SELECT count(*) AS n FROM __drizzle_migrations", []);
    expect(migrations[0].n).toBe(1);
    const owner = await queryPostgres<{ application: string }>(url, "SELECT application FROM sto_database", []);
    expect(owner).toEqual([{ application: "sto audit database" }]);
  });

  it("refuses a database migrated by a newer sto, and changes nothing", async () => {
    // A database of its own, made by this sto first (the test must not rely on another test's).
    const url = await freshPostgresDatabase();
    const made = await runSto(["--database-url", url, "tx-last"]);
    expect(made.code, made.stderr).toBe(0);
    const future = Date.UTC(2100, 0, 1);
    await queryPostgres(url, "INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('future', ?)", [future]);
    await queryPostgres(url, "UPDATE sto_database SET migrated_until = ?, writer_version = 9001002", [future]);
    const result = await runSto(["--database-url", url, "tx-last"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/its schema was written by sto 9\.1\.2 \(migration of 2100-01-01T00:00:00\.000Z\), newer than this sto \S+ knows; use that sto or a newer one/);
  });

  it("refuses a database of another program, and adds nothing to it", async () => {
    const other = await freshPostgresDatabase();
    await queryPostgres(other, "CREATE TABLE customers (id integer PRIMARY KEY, name text)", []);
    const result = await runSto(["--database-url", other, "tx-last"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not a sto audit database \(it holds other tables: customers\); nothing was changed/);
    const tables = await queryPostgres<{ table_name: string }>(other, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", []);
    expect(tables).toEqual([{ table_name: "customers" }]);
  });
});
