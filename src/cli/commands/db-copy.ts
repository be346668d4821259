import fs from "node:fs";
import type { Command } from "commander";
import { parseDatabaseUrl } from "../../config/database";
import { openDatabase } from "../../db/database";
import { StoError } from "../../errors";
import { action } from "../action";
import { countedProgress } from "../progress";

interface DbCopyOptions {
  from: string;
  to: string;
}

export function register(program: Command): void {
  program
    .command("db-copy")
    .description(
      "Copy a SQLite audit database into an empty PostgreSQL one.\n\nMoves a database to a team's shared PostgreSQL server (docs/team.md): every row of every table, ids kept, in one transaction; the row counts of both sides are compared before it commits, and anything else leaves the PostgreSQL database as it was. The global --database-file and --database-url are not used.",
    )
    .requiredOption("--from <sqlite-file>", "the SQLite audit database to copy (it is not changed, except for pending migrations)")
    .requiredOption("--to <postgresql-url>", "the empty PostgreSQL database to copy into (postgresql://user@host:port/database; password from PGPASSWORD or ~/.pgpass)")
    .action(
      action(async (ctx, options: DbCopyOptions) => {
        const target = parseDatabaseUrl(options.to, "--to");
        if (!fs.existsSync(options.from)) throw new StoError(`--from ${options.from}: no such file`);
        const source = openDatabase(options.from);
        try {
          const { openPostgresDatabase } = await import("../../db/postgres");
          const destination = await openPostgresDatabase(target);
          try {
            const { copySqliteToPostgres } = await import("../../db/copy");
            const progress = countedProgress(ctx.out);
            const copied = await copySqliteToPostgres(source, destination, progress?.listener).finally(() => progress?.clear());
            ctx.out.table(
              ["Table", "Rows"],
              copied.map((entry) => [entry.table, entry.rows.toLocaleString("en-US")]),
              { alignRight: [1] },
            );
            const total = copied.reduce((sum, entry) => sum + entry.rows, 0);
            ctx.out.result(`Copied ${total.toLocaleString("en-US")} rows of ${copied.length} tables from ${options.from} to ${target.display}; the counts match`);
            ctx.out.data({ from: options.from, to: target.display, tables: copied });
          } finally {
            await destination.close();
          }
        } finally {
          await source.close();
        }
      }),
    );
}
