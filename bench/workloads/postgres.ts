/**
 * The workloads of issue 18 on PostgreSQL, beside SQLite's in the same run: preparing a
 * distribution, token-scan of the same token, and the cap table at the same past block. The
 * server is the tests' throw-away PostgreSQL (bench/lib/postgres.ts) on this machine: a network
 * server would add its round trips.
 */
import { median, runsNote, type Figures } from "../lib/figures";
import type { NodeProcess } from "../lib/node-process";
import { databaseName, startBenchPostgres } from "../lib/postgres";
import type { BuiltToken } from "../lib/tokens";
import { issueToken, measurePrepare } from "./distribution";
import { bareGetLogs, measureCapTable, stoScan } from "./scan";
import { measureScale } from "./captable-scale";

export interface PostgresWork {
  /** Rows of the distribution prepared (skipped when 0). */
  rows: number;
  /** The token to scan and its cap table (skipped when absent). */
  token?: BuiltToken;
  /** Holders of the synthetic cap table measured on PostgreSQL (0: skipped). */
  scaleHolders: number;
  /** The SQLite figures of the same run, for the notes. */
  sqlite: { prepareRowsPerSecond?: number; scanEventsPerSecond?: number; capTableQueryMs?: number };
}

export async function postgresFigures(figures: Figures, node: NodeProcess, dir: string, work: PostgresWork, runs: number): Promise<void> {
  const server = await startBenchPostgres(dir);
  const beside = (value: number | undefined, unit: string) => (value === undefined ? "" : `; SQLite in this run: ${Math.round(value).toLocaleString("en-US")} ${unit}`);
  try {
    if (work.rows > 0) {
      const template = await server.database("bench_template");
      const setup = await issueToken(node, dir, template);
      const prepared = await measurePrepare(setup, work.rows, runs, [], "pg_prepare", [], (label) => server.database(label, databaseName(template)));
      figures.add({
        id: "pg.prepare.rows-per-s",
        label: `PostgreSQL: distribute-multiple ${work.rows.toLocaleString("en-US")} rows, one transfer per row, after process start`,
        value: prepared.rowsPerSecond,
        unit: "rows/s",
        note: `${runsNote(prepared.runs.map((run) => work.rows / (run.commandMs / 1000)))}${beside(work.sqlite.prepareRowsPerSecond, "rows/s")}`,
      });
      figures.add({ id: "pg.prepare.peak-rss", label: "PostgreSQL: prepare, peak memory of the sto process", value: prepared.peakRssMb, unit: "MB" });
    }
    const token = work.token;
    if (token) {
      const stoMs: number[] = [];
      const bareMs: number[] = [];
      let scanned = "";
      for (let run = 0; run < runs; run++) {
        scanned = await server.database(`pg_scan_${run}`);
        stoMs.push((await stoScan(node, dir, token, `pg-scan-${run}`, [], { database: scanned })).run.wallMs);
        bareMs.push((await bareGetLogs(node, token)).ms);
      }
      const ratios = stoMs.map((ms, index) => ms / bareMs[index]);
      const eventsPerSecond = median(stoMs.map((ms) => token.events / (ms / 1000)));
      figures.add({
        id: "pg.scan.events-per-s",
        label: `PostgreSQL: sto token-scan of ${token.events.toLocaleString("en-US")} events, ${token.holders.toLocaleString("en-US")} holders, end to end (wall time)`,
        value: eventsPerSecond,
        unit: "events/s",
        note: `${median(ratios).toFixed(2)}× bare eth_getLogs; ${runsNote(ratios, 2)}${beside(work.sqlite.scanEventsPerSecond, "events/s")}`,
      });
      const atBlock = token.blocks[Math.floor(token.blocks.length / 2)].block;
      const measure = await measureCapTable(node, scanned, token, atBlock, Math.max(runs, 5));
      figures.add({
        id: "pg.captable.query-ms",
        label: `PostgreSQL: cap table balances query for ${measure.holders.toLocaleString("en-US")} holders at past block ${atBlock}`,
        value: measure.queryMs,
        unit: "ms",
        digits: 1,
        target: { op: "<", bound: 100 },
        note: work.sqlite.capTableQueryMs === undefined ? undefined : `SQLite in this run: ${work.sqlite.capTableQueryMs.toFixed(1)} ms`,
      });
      figures.add({
        id: "pg.captable.command-ms",
        label: "PostgreSQL: whole sto cap-table --at-block command (wall time, process start included)",
        value: measure.commandMs,
        unit: "ms",
        target: { op: "<", bound: 1000 },
        note: `cap table built in ${measure.buildMs.toFixed(0)} ms; peak ${Math.round(measure.peakRssMb)} MB`,
      });
    }
    if (work.scaleHolders > 0) {
      const database = await server.database("pg_captable_scale");
      const row = await measureScale(database, work.scaleHolders, { runs: 1, formats: ["table", "csv", "json"], dir });
      console.log(
        `      PostgreSQL cap table of ${row.holders.toLocaleString("en-US")} holders (synthetic, written in ${row.writeS.toFixed(0)} s): balances query ${Math.round(row.queryMs)} ms; ` +
          row.commands.map((command) => `${command.format} ${Math.round(command.ms)} ms (peak ${Math.round(command.peakRssMb)} MB)`).join(", "),
      );
      figures.add({
        id: "pg.captable-scale.query-ms",
        label: `PostgreSQL: balances query for ${row.holders.toLocaleString("en-US")} holders at a past block (synthetic token)`,
        value: row.queryMs,
        unit: "ms",
        note: `CPU time of this process ${Math.round(row.queryCpuMs)} ms`,
      });
      for (const command of row.commands) {
        figures.add({
          id: `pg.captable-scale.${command.format}-ms`,
          label: `PostgreSQL: sto cap-table of ${row.holders.toLocaleString("en-US")} holders streamed as ${command.format} to a file, 128 MB JavaScript heap (wall time)`,
          value: command.ms,
          unit: "ms",
          note: `${((command.ms * 1000) / row.holders).toFixed(1)} µs per holder; peak RSS ${Math.round(command.peakRssMb)} MB`,
        });
      }
    }
  } finally {
    await server.stop();
  }
}
