/**
 * The cap table at scale (issues 18 and 19): 1,000 → 10,000 → 100,000 → 1,000,000 holders, on
 * SQLite and (for the largest) PostgreSQL. A token of a million holders is not built on a chain
 * (a million mints and transfers take hours on a local node): its rows are written straight
 * through the scanner's own store (src/devtools/synthetic-token.ts), exactly the rows a
 * token-scan of such a token would write. Every command runs in a 128 MB JavaScript heap: the cap
 * table is streamed (src/captable/stream.ts), so its memory must not grow with the holders.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { balancesAtBlock } from "../../src/captable/queries";
import { LOCAL_CHAIN_ID } from "../../src/chain/local-node";
import { parseDatabaseUrl } from "../../src/config/database";
import { openAuditDatabase } from "../../src/db/database";
import { findScannedTokenIn } from "../../src/scan/store";
import { writeSyntheticToken, type SyntheticToken } from "../../src/devtools/synthetic-token";
import { formatNumber, median, type Figures } from "../lib/figures";
import { runSto } from "../lib/sto-cli";
import { databaseArgs } from "./distribution";

const HEAP_CAP_MB = 128;

export interface ScaleRow {
  holders: number;
  writeS: number;
  queryMs: number;
  queryCpuMs: number;
  commands: { format: string; ms: number; peakRssMb: number }[];
}

async function open(database: string) {
  return database.startsWith("postgresql://") ? openAuditDatabase(parseDatabaseUrl(database, "bench")) : openAuditDatabase({ engine: "sqlite", file: database });
}

/** Writes a synthetic token of `holders` holders into `database` and measures its cap tables. */
export async function measureScale(
  database: string,
  holders: number,
  options: { runs: number; formats: ("table" | "csv" | "json")[]; dir: string },
): Promise<ScaleRow & { token: SyntheticToken }> {
  const db = await open(database);
  let token: SyntheticToken;
  let writeS: number;
  const queryMs: number[] = [];
  const queryCpuMs: number[] = [];
  try {
    const started = performance.now();
    token = await writeSyntheticToken(db, { chainId: LOCAL_CHAIN_ID, holders, seed: `bench-${holders}` });
    writeS = (performance.now() - started) / 1000;
    const scanned = await findScannedTokenIn(db.sql, LOCAL_CHAIN_ID, token.address);
    if (!scanned) throw new Error("synthetic token not found");
    for (let run = 0; run < options.runs; run++) {
      const cpu = process.cpuUsage();
      const wall = performance.now();
      const rows = await balancesAtBlock(db.sql, scanned.id, token.pastBlock, false);
      queryMs.push(performance.now() - wall);
      const used = process.cpuUsage(cpu);
      queryCpuMs.push((used.user + used.system) / 1000);
      if (rows.length !== token.holders) throw new Error(`balances query: ${rows.length} holders, expected ${token.holders}`);
    }
  } finally {
    await db.close();
  }
  const commands: ScaleRow["commands"] = [];
  for (const format of options.formats) {
    const output = path.join(options.dir, `captable-${holders}.${format}`);
    const ms: number[] = [];
    let peak = 0;
    for (let run = 0; run < Math.min(options.runs, holders >= 1_000_000 ? 1 : 3); run++) {
      fs.rmSync(output, { force: true });
      const args = [...databaseArgs(database), ...(format === "json" ? ["--json"] : []), "cap-table", "--token-address", token.address, "--at-block", String(token.pastBlock)];
      if (format !== "json") args.push("--format", format);
      args.push("--output", output);
      const result = await runSto(args, {}, [`--max-old-space-size=${HEAP_CAP_MB}`]);
      ms.push(result.wallMs);
      peak = Math.max(peak, result.maxRssKb / 1024);
    }
    const lines = countLines(output);
    if (format === "csv" && lines !== token.holders + 1) throw new Error(`cap table CSV of ${lines} lines, expected ${token.holders + 1}`);
    fs.rmSync(output, { force: true });
    commands.push({ format, ms: median(ms), peakRssMb: peak });
  }
  return { holders: token.holders, writeS, queryMs: median(queryMs), queryCpuMs: median(queryCpuMs), commands, token };
}

function countLines(file: string): number {
  const buffer = Buffer.alloc(1 << 20);
  const fd = fs.openSync(file, "r");
  let lines = 0;
  try {
    for (;;) {
      const read = fs.readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) break;
      for (let index = 0; index < read; index++) if (buffer[index] === 10) lines++;
    }
  } finally {
    fs.closeSync(fd);
  }
  return lines;
}

function print(title: string, rows: ScaleRow[]): void {
  console.log(`\n      ${title}`);
  console.log(`      ${"holders".padStart(10)} ${"written".padStart(8)} ${"query".padStart(10)} ${"(CPU)".padStart(9)}  commands (wall, µs/holder, peak RSS; ${HEAP_CAP_MB} MB heap)`);
  for (const row of rows) {
    const commands = row.commands
      .map((command) => `${command.format} ${formatNumber(command.ms)} ms ${formatNumber((command.ms * 1000) / row.holders, 1)} µs ${formatNumber(command.peakRssMb)} MB`)
      .join("; ");
    console.log(
      `      ${formatNumber(row.holders).padStart(10)} ${`${row.writeS.toFixed(0)} s`.padStart(8)} ${`${formatNumber(row.queryMs, 1)} ms`.padStart(10)} ${`${formatNumber(row.queryCpuMs, 1)} ms`.padStart(9)}  ${commands}`,
    );
  }
}

/** SQLite: the growth series; the figures of issue 19 (past cap table of 100,000 holders, flat time per holder, bounded heap). */
export async function capTableScaleFigures(figures: Figures, dir: string, options: { quick: boolean; runs: number }): Promise<void> {
  const sizes = options.quick ? [1_000, 10_000, 100_000] : [1_000, 10_000, 100_000, 1_000_000];
  const rows: ScaleRow[] = [];
  const scaleDir = fs.mkdtempSync(path.join(dir, "captable-scale-"));
  for (const size of sizes) {
    const row = await measureScale(path.join(scaleDir, `holders-${size}.sqlite`), size, { runs: Math.max(options.runs, 5), formats: ["table", "csv", "json"], dir: scaleDir });
    rows.push(row);
    fs.rmSync(path.join(scaleDir, `holders-${size}.sqlite`), { force: true });
  }
  print(`cap table at a past block, synthetic tokens written through the scanner's store (load average ${os.loadavg()[0].toFixed(1)})`, rows);
  const hundred = rows.find((row) => row.holders >= 100_000 && row.holders < 1_000_000);
  if (hundred) {
    figures.add({
      id: "captable.query-100k-ms",
      label: `cap table: balances query for ${formatNumber(hundred.holders)} holders at a past block (SQLite)`,
      value: hundred.queryMs,
      unit: "ms",
      digits: 1,
      target: { op: "<", bound: 150 },
      note: `CPU time ${hundred.queryCpuMs.toFixed(1)} ms; load average ${os.loadavg()[0].toFixed(1)}`,
    });
  }
  const [large, larger] = rows.slice(-2);
  for (const format of ["table", "csv", "json"]) {
    const a = large.commands.find((command) => command.format === format);
    const b = larger.commands.find((command) => command.format === format);
    if (!a || !b) continue;
    figures.add({
      id: `growth.captable-${format}-linear`,
      label: `growth: cap table (${format}, streamed) time per holder at ${formatNumber(larger.holders)} relative to ${formatNumber(large.holders)}`,
      value: b.ms / larger.holders / (a.ms / large.holders),
      unit: "×",
      digits: 2,
      target: { op: "<=", bound: 1.5 },
    });
    figures.add({
      id: `growth.captable-${format}-heap`,
      label: `growth: cap table (${format}) of ${formatNumber(larger.holders)} holders in a ${HEAP_CAP_MB} MB JavaScript heap`,
      value: 1,
      unit: "(completed)",
      target: { op: ">=", bound: 1 },
      note: `peak RSS ${formatNumber(b.peakRssMb)} MB`,
    });
  }
}
