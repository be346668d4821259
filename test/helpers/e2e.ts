import path from "node:path";
import { JsonRpcProvider } from "ethers";
import Database from "better-sqlite3";
import { startLocalChain, type LocalChain, type LocalChainOptions } from "../../src/chain/local-node";
import { runSto, tempDir, type RunOptions, type StoResult } from "./cli";

export interface E2eWorld {
  chain: LocalChain;
  provider: JsonRpcProvider;
  dir: string;
  databaseFile: string;
  /** Runs the real CLI against this world's chain and database (extra global flags first). */
  sto(args: string[], options?: RunOptions & { globals?: string[] }): Promise<StoResult>;
  /** Runs the CLI and fails the test with its stderr unless it exits 0. */
  ok(args: string[], options?: RunOptions & { globals?: string[] }): Promise<StoResult>;
  /** Rows of the audit database, read directly with SQL. */
  query<T>(sql: string, ...params: unknown[]): T[];
  close(): Promise<void>;
}

/** A local chain on a free port, a temporary directory and a database file in it. */
export async function startWorld(options: LocalChainOptions = {}): Promise<E2eWorld> {
  const chain = await startLocalChain({ port: 0, ...options });
  return { chain, ...worldOnNode(chain.url, () => chain.close()) };
}

/** A temporary directory and a database file in it, for the CLI against the node at `url` (any node). */
export function worldOnNode(url: string, closeNode: () => Promise<void>): Omit<E2eWorld, "chain"> {
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, polling: true, pollingInterval: 100, cacheTimeout: -1 });
  const tmp = tempDir();
  const databaseFile = path.join(tmp.dir, "transactions.sqlite");
  const sto = (args: string[], runOptions: RunOptions & { globals?: string[] } = {}) =>
    runSto(["--database-file", databaseFile, "--ethereum-node-url", url, ...(runOptions.globals ?? []), ...args], {
      cwd: tmp.dir,
      ...runOptions,
    });
  return {
    provider,
    dir: tmp.dir,
    databaseFile,
    sto,
    ok: async (args, runOptions) => {
      const result = await sto(args, runOptions);
      if (result.code !== 0) {
        throw new Error(`sto ${args.join(" ")} exited ${result.code} (${result.signal ?? ""}): ${result.stderr}${result.stdout}`);
      }
      return result;
    },
    query: <T>(sql: string, ...params: unknown[]): T[] => {
      const db = new Database(databaseFile, { readonly: true });
      try {
        return db.prepare(sql).all(...params) as T[];
      } finally {
        db.close();
      }
    },
    close: async () => {
      provider.destroy();
      await closeNode();
      tmp.cleanup();
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
