import fs from "node:fs";
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import Database from "better-sqlite3";
import { startLocalChain, type LocalChain, type LocalChainOptions } from "../../src/chain/local-node";
import { runSto, tempDir, type RunOptions, type StoResult } from "./cli";
import { freshPostgresDatabase, queryPostgres } from "./postgres";

/** The audit database engines a world can run on; parametrise a suite with `describe.each(ENGINES)`. */
export type Engine = "sqlite" | "postgresql";
export const ENGINES: readonly Engine[] = ["sqlite", "postgresql"];

export interface WorldOptions extends LocalChainOptions {
  /** SQLite file (default) or a fresh database on the run's PostgreSQL server. */
  engine?: Engine;
}

export interface E2eWorld {
  chain: LocalChain;
  provider: JsonRpcProvider;
  dir: string;
  engine: Engine;
  /** The SQLite file (SQLite worlds only; a PostgreSQL world has none). */
  databaseFile: string;
  /** The global flags that name this world's database: --database-file or --database-url (without its password). */
  databaseFlags: string[];
  /** The environment a sto process needs for the database besides the flags (PGPASSWORD on PostgreSQL). */
  databaseEnv: NodeJS.ProcessEnv;
  /** Runs the real CLI against this world's chain and database (extra global flags first). */
  sto(args: string[], options?: RunOptions & { globals?: string[] }): Promise<StoResult>;
  /** Runs the CLI and fails the test with its stderr unless it exits 0. */
  ok(args: string[], options?: RunOptions & { globals?: string[] }): Promise<StoResult>;
  /** Rows of the audit database, read directly with SQL (SQLite worlds only). */
  query<T>(sql: string, ...params: unknown[]): T[];
  /** Rows of the audit database on either engine (`?` placeholders; use portable SQL). */
  rows<T>(sql: string, ...params: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** A database of a test on either engine: the flags and environment that name it to sto, and its rows. */
export interface EngineDatabase {
  engine: Engine;
  /** The SQLite file (SQLite only; PostgreSQL has none). */
  databaseFile: string;
  /** --database-file or --database-url (without its password). */
  databaseFlags: string[];
  /** PGPASSWORD on PostgreSQL. */
  databaseEnv: NodeJS.ProcessEnv;
  /** Rows read with SQL (SQLite only). */
  query<T>(sql: string, ...params: unknown[]): T[];
  /** Rows on either engine (`?` placeholders; use portable SQL). */
  rows<T>(sql: string, ...params: unknown[]): Promise<T[]>;
}

/**
 * A new, empty audit database: a file in `dir` on SQLite, a database of its own on the run's
 * PostgreSQL server (dropped when the test file ends).
 */
export async function engineDatabase(engine: Engine, dir: string, file = "transactions.sqlite"): Promise<EngineDatabase> {
  return databaseIn(dir, file, engine === "postgresql" ? await freshPostgresDatabase() : undefined);
}

/** The SQLite file `file` in `dir`, or the PostgreSQL database at `databaseUrl` when given. */
function databaseIn(dir: string, file: string, databaseUrl: string | undefined): EngineDatabase {
  const databaseFile = path.join(dir, file);
  // The password goes where docs/team.md tells users to keep it (PGPASSWORD), not on the command line.
  const withoutPassword = databaseUrl ? new URL(databaseUrl) : undefined;
  if (withoutPassword) withoutPassword.password = "";
  const databaseFlags = withoutPassword ? ["--database-url", withoutPassword.href] : ["--database-file", databaseFile];
  const databaseEnv: NodeJS.ProcessEnv = databaseUrl ? { PGPASSWORD: decodeURIComponent(new URL(databaseUrl).password) } : {};
  const query = <T>(sql: string, ...params: unknown[]): T[] => {
    if (databaseUrl) throw new Error("world.query reads SQLite only: use await world.rows(...) in a suite that runs on PostgreSQL");
    const db = new Database(databaseFile, { readonly: true });
    try {
      return db.prepare(sql).all(...params) as T[];
    } finally {
      db.close();
    }
  };
  return {
    engine: databaseUrl ? "postgresql" : "sqlite",
    databaseFile,
    databaseFlags,
    databaseEnv,
    query,
    rows: async <T>(sql: string, ...params: unknown[]): Promise<T[]> => (databaseUrl ? queryPostgres<T>(databaseUrl, sql, params) : query<T>(sql, ...params)),
  };
}

/** A local chain on a free port, a temporary directory and a database: a file in it, or on PostgreSQL. */
export async function startWorld(options: WorldOptions = {}): Promise<E2eWorld> {
  const { engine = "sqlite", ...chainOptions } = options;
  const chain = await startLocalChain({ port: 0, ...chainOptions });
  const databaseUrl = engine === "postgresql" ? await freshPostgresDatabase() : undefined;
  return { chain, ...worldOnNode(chain.url, () => chain.close(), databaseUrl) };
}

/**
 * A temporary directory and a database, for the CLI against the node at `url` (any node): a file in
 * the directory, or the PostgreSQL database at `databaseUrl` when given.
 */
export function worldOnNode(url: string, closeNode: () => Promise<void>, databaseUrl?: string): Omit<E2eWorld, "chain"> {
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, polling: true, pollingInterval: 100, cacheTimeout: -1 });
  const tmp = tempDir();
  const { engine, databaseFile, databaseFlags, databaseEnv, query, rows } = databaseIn(tmp.dir, "transactions.sqlite", databaseUrl);
  const sto = (args: string[], runOptions: RunOptions & { globals?: string[] } = {}) =>
    runSto([...databaseFlags, "--ethereum-node-url", url, ...(runOptions.globals ?? []), ...args], {
      cwd: tmp.dir,
      ...runOptions,
      env: { ...databaseEnv, ...runOptions.env },
    });
  return {
    provider,
    dir: tmp.dir,
    engine,
    databaseFile,
    databaseFlags,
    databaseEnv,
    sto,
    ok: async (args, runOptions) => {
      const result = await sto(args, runOptions);
      if (result.code !== 0) {
        throw new Error(`sto ${args.join(" ")} exited ${result.code} (${result.signal ?? ""}): ${result.stderr}${result.stdout}`);
      }
      return result;
    },
    query,
    rows,
    close: async () => {
      provider.destroy();
      await closeNode();
      tmp.cleanup();
    },
  };
}

/** Copies a database file to `target`, with everything its WAL held folded into it first. */
export function copyDatabase(source: string, target: string): void {
  const db = new Database(source);
  try {
    db.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    db.close();
  }
  for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(target + suffix, { force: true });
  fs.copyFileSync(source, target);
}

/**
 * A set-up built once and given to every test as a fresh copy, so that tests share the work of the
 * set-up but not its state: each `fresh()` reverts the chain to the moment of `worldFixture` (a
 * snapshot) and returns a world on that chain with a new folder and a copy of the SQLite database
 * as it was then (none when there was none). The previous copy is closed. Tests of one file run one at a time, so one
 * snapshot serves them all.
 */
export async function worldFixture(world: E2eWorld): Promise<{ fresh(): Promise<E2eWorld> }> {
  if (world.engine !== "sqlite") throw new Error("worldFixture copies a SQLite database: build PostgreSQL fixtures per test");
  // No database yet (nothing run): each copy starts without one too.
  const template = fs.existsSync(world.databaseFile) ? path.join(world.dir, "fixture.sqlite") : undefined;
  if (template) copyDatabase(world.databaseFile, template);
  let snapshot = (await world.provider.send("evm_snapshot", [])) as string;
  let previous: E2eWorld | undefined;
  return {
    fresh: async () => {
      await previous?.close();
      if ((await world.provider.send("evm_revert", [snapshot])) !== true) throw new Error(`the chain did not revert to snapshot ${snapshot}`);
      snapshot = (await world.provider.send("evm_snapshot", [])) as string;
      const copy = worldOnNode(world.chain.url, async () => undefined);
      if (template) copyDatabase(template, copy.databaseFile);
      previous = { chain: world.chain, ...copy };
      return previous;
    },
  };
}

/** The address `Token address will be 0x…` line of `sto issue`. */
export function tokenAddressFrom(result: StoResult): string {
  const match = /Token address will be (0x[0-9a-fA-F]{40})/.exec(result.stdout);
  if (!match) throw new Error(`no token address in: ${result.stdout}`);
  return match[1];
}

export const DEPLOYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
