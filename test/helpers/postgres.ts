import crypto from "node:crypto";
import pg from "pg";
import { onFileEnd } from "./cleanup";

/** Where test/global-setup.ts leaves the run's PostgreSQL server (an administrator's URL). */
export const POSTGRES_URL_VARIABLE = "STOTEST_POSTGRES_URL";

function serverUrl(): string {
  const url = process.env[POSTGRES_URL_VARIABLE];
  if (!url) throw new Error(`${POSTGRES_URL_VARIABLE} is not set: the run's PostgreSQL server starts in test/global-setup.ts (run the tests with vitest)`);
  return url;
}

async function administer(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A new, empty database on the run's PostgreSQL server, dropped when the test file ends: the URL
 * to give sto (`--database-url`). Each test file (or world) gets its own, so files running at
 * once never share rows.
 */
export async function freshPostgresDatabase(): Promise<string> {
  const name = `sto_${process.pid}_${crypto.randomBytes(4).toString("hex")}`;
  await administer(`CREATE DATABASE ${name}`);
  onFileEnd(() => administer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return url.href;
}

/** 64-bit integers (count(*), block numbers) as numbers, as better-sqlite3 and sto give them. */
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === pg.types.builtins.INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Rows of a PostgreSQL database, read with `?` placeholders as on SQLite. */
export async function queryPostgres<T>(url: string, sql: string, params: unknown[]): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, types });
  await client.connect();
  try {
    let index = 0;
    return (await client.query(sql.replace(/\?/g, () => `$${++index}`), params)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * A copy of a database of the run's server, made by the server (CREATE DATABASE ... TEMPLATE: nobody
 * may be connected to the source meanwhile), dropped when the test file ends: its URL.
 */
export async function copyPostgresDatabase(source: string): Promise<string> {
  const name = `sto_${process.pid}_${crypto.randomBytes(4).toString("hex")}`;
  await administer(`CREATE DATABASE ${name} TEMPLATE ${source}`);
  onFileEnd(() => administer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return url.href;
}
