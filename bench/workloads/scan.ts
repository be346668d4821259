/**
 * Workloads 3 and 4: `sto token-scan` of a token with many Transfer events against bare eth_getLogs
 * calls fetching the same logs, and `sto cap-table` at a past block of the scanned database.
 */
import path from "node:path";
import { performance } from "node:perf_hooks";
import { balancesAtBlock } from "../../src/captable/queries";
import { buildCapTable } from "../../src/captable/captable";
import { openAuditDatabase } from "../../src/db/database";
import { parseDatabaseUrl } from "../../src/config/database";
import { findScannedTokenIn } from "../../src/scan/store";
import { databaseArgs } from "./distribution";
import { getAddress } from "ethers";
import { LOCAL_CHAIN_ID } from "../../src/chain/local-node";
import { median, runsNote, type Figures } from "../lib/figures";
import type { NodeProcess } from "../lib/node-process";
import { runSto, type StoRun } from "../lib/sto-cli";
import type { BuiltToken } from "../lib/tokens";
import { TRANSFER_TOPIC } from "../../src/chain/erc20";

/** Issue 19: token-scan at most this many times bare eth_getLogs (before: 1.3). */
export const SCAN_RATIO_TARGET = 1.15;

/** A median CPU figure of the node ("n/a" without /proc). */
export function cpuNote(values: number[]): string {
  return values.length === 0 ? "n/a" : `${Math.round(median(values))} ms`;
}

/** Events per eth_getLogs of the bare loop: the scanner's own target per request. */
const BARE_EVENTS_PER_REQUEST = 5_000;

export interface BareFetch {
  ms: number;
  /** CPU time of the node while it served them, in ms (undefined without /proc). */
  nodeCpuMs?: number;
  logs: number;
  requests: number;
}

/**
 * The baseline: consecutive eth_getLogs for the token's Transfer events over ranges of about 5,000
 * events (known from how the token was built), each answer read and parsed with JSON.parse, nothing
 * else. One request at a time, as a simple client does.
 */
export async function bareGetLogs(node: Pick<NodeProcess, "url" | "cpuMs">, token: BuiltToken): Promise<BareFetch> {
  const url = node.url;
  const ranges: { from: number; to: number }[] = [];
  let from = token.createdAt;
  let events = 0;
  for (const { block, events: count } of token.blocks) {
    events += count;
    if (events >= BARE_EVENTS_PER_REQUEST) {
      ranges.push({ from, to: block });
      from = block + 1;
      events = 0;
    }
  }
  if (from <= token.lastBlock) ranges.push({ from, to: token.lastBlock });
  const nodeCpuBefore = node.cpuMs();
  const started = performance.now();
  let logs = 0;
  let id = 0;
  for (const range of ranges) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: ++id,
        method: "eth_getLogs",
        params: [{ address: token.address, topics: [TRANSFER_TOPIC], fromBlock: hex(range.from), toBlock: hex(range.to) }],
      }),
    });
    const body = JSON.parse(await response.text()) as { result: unknown[] };
    logs += body.result.length;
  }
  const ms = performance.now() - started;
  const nodeCpuAfter = node.cpuMs();
  const nodeCpuMs = nodeCpuBefore === undefined || nodeCpuAfter === undefined ? undefined : nodeCpuAfter - nodeCpuBefore;
  return { ms, nodeCpuMs, logs, requests: ranges.length };
}

function hex(value: number): string {
  return `0x${value.toString(16)}`;
}

export interface ScanMeasure {
  run: StoRun;
  /** CPU time the node spent during the scan (its process's, all requests), in ms; undefined without /proc. */
  nodeCpuMs: number | undefined;
  events: number;
  chunks: number;
  database: string;
  /** The check against the chain at the end of the scan (scan/verify.ts), within the run's time. */
  verifyMs: number;
  verifiedHolders: number;
  verifyMethod: string;
}

/** `sto token-scan` of `token` into a fresh database. */
export async function stoScan(
  node: NodeProcess,
  dir: string,
  token: BuiltToken,
  label: string,
  nodeOptions: string[] = [],
  {
    verify = true,
    database = path.join(dir, `${label}.sqlite`),
    verifyLimit,
  }: { verify?: boolean; database?: string; /** --verify-limit (default: sto's). */ verifyLimit?: number } = {},
): Promise<ScanMeasure> {
  const nodeCpuBefore = node.cpuMs();
  const run = await runSto(
    [
      "--ethereum-node-url", node.url, ...databaseArgs(database), "--json", "token-scan", "--token-address", token.address,
      "--end-block", String(token.lastBlock), ...(verify ? [] : ["--no-verify"]),
      ...(verify && verifyLimit !== undefined ? ["--verify-limit", String(verifyLimit)] : []),
    ],
    {},
    nodeOptions,
  );
  const result = JSON.parse(run.stdout) as {
    events: number;
    chunks: number;
    verification: { status: string; elapsedMs: number; holdersChecked: number; method: string } | null;
  };
  if (result.events !== token.events) throw new Error(`token-scan stored ${result.events} events, the token has ${token.events}`);
  if (verify && result.verification?.status !== "match") throw new Error(`token-scan's check against the chain: ${result.verification?.status ?? "none"}`);
  const nodeCpuAfter = node.cpuMs();
  return {
    run,
    nodeCpuMs: nodeCpuBefore === undefined || nodeCpuAfter === undefined ? undefined : nodeCpuAfter - nodeCpuBefore,
    events: result.events,
    chunks: result.chunks,
    database,
    verifyMs: result.verification?.elapsedMs ?? 0,
    verifiedHolders: result.verification?.holdersChecked ?? 0,
    verifyMethod: result.verification?.method ?? "none",
  };
}

export interface ScanFigures {
  ratio: number;
  eventsPerSecond: number;
  bareEventsPerSecond: number;
  peakRssMb: number;
  /** A database with the whole token scanned. */
  database: string;
}

/** Scan and baseline `runs` times, alternating which goes first; medians. */
export async function scanFigures(
  figures: Figures,
  node: NodeProcess,
  dir: string,
  token: BuiltToken,
  runs: number,
  prefix = "scan",
  /** Which node, in the figures' labels, when it is not `sto node`. */
  where = "",
): Promise<ScanFigures> {
  const head = where ? `scan ${where}` : "scan";
  const stoMs: number[] = [];
  const bareMs: number[] = [];
  const unverifiedMs: number[] = [];
  const tailMs: number[] = [];
  // CPU time of each scan: sto's own process and the node's, with and without the check; the node's for bare eth_getLogs.
  const cpu = { sto: [] as number[], node: [] as number[], stoUnverified: [] as number[], nodeUnverified: [] as number[], nodeBare: [] as number[] };
  let last: ScanMeasure | undefined;
  const rss: number[] = [];
  for (let run = 0; run < runs; run++) {
    const order = run % 2 === 0 ? ["sto", "unverified", "bare"] : ["bare", "unverified", "sto"];
    for (const which of order) {
      if (which === "sto") {
        last = await stoScan(node, dir, token, `${prefix}-${token.events}-${run}`);
        stoMs.push(last.run.wallMs);
        tailMs.push(last.verifyMs);
        cpu.sto.push(last.run.cpuMs);
        if (last.nodeCpuMs !== undefined) cpu.node.push(last.nodeCpuMs);
        rss.push(last.run.maxRssKb / 1024);
      } else if (which === "unverified") {
        // The same scan without the check against the chain: the difference is the check's cost.
        const unverified = await stoScan(node, dir, token, `${prefix}-${token.events}-${run}-unverified`, [], { verify: false });
        unverifiedMs.push(unverified.run.wallMs);
        cpu.stoUnverified.push(unverified.run.cpuMs);
        if (unverified.nodeCpuMs !== undefined) cpu.nodeUnverified.push(unverified.nodeCpuMs);
      } else {
        const bare = await bareGetLogs(node, token);
        if (bare.logs !== token.events) throw new Error(`bare eth_getLogs returned ${bare.logs} logs, the token has ${token.events}`);
        bareMs.push(bare.ms);
        if (bare.nodeCpuMs !== undefined) cpu.nodeBare.push(bare.nodeCpuMs);
      }
    }
  }
  const ratios = stoMs.map((ms, index) => ms / bareMs[index]);
  const result: ScanFigures = {
    ratio: median(ratios),
    eventsPerSecond: median(stoMs.map((ms) => token.events / (ms / 1000))),
    bareEventsPerSecond: median(bareMs.map((ms) => token.events / (ms / 1000))),
    peakRssMb: Math.max(...rss),
    database: (last as ScanMeasure).database,
  };
  const size = `${token.events.toLocaleString("en-US")} events, ${token.holders.toLocaleString("en-US")} holders`;
  figures.add({
    id: `${prefix}.ratio`,
    label: `${head}: sto token-scan of ${size}, time relative to bare eth_getLogs`,
    value: result.ratio,
    unit: "×",
    digits: 2,
    // Issue 19 raised the bar from 1.3 ×; the check against the chain is part of the scan measured.
    target: { op: "<=", bound: SCAN_RATIO_TARGET },
    note: runsNote(ratios, 2),
  });
  const unverifiedRatios = unverifiedMs.map((ms, index) => ms / bareMs[index]);
  figures.add({
    id: `${prefix}.ratio-unverified`,
    label: `${head}: the same with --no-verify, time relative to bare eth_getLogs`,
    value: median(unverifiedRatios),
    unit: "×",
    digits: 2,
    note: runsNote(unverifiedRatios, 2),
  });
  figures.add({
    id: `${prefix}.cpu`,
    label: `${head}: CPU time of the sto process with the check (median; the node's and --no-verify's beside it)`,
    value: median(cpu.sto),
    unit: "ms",
    note: `with the check: sto ${Math.round(median(cpu.sto))} ms, node ${cpuNote(cpu.node)}; --no-verify: sto ${Math.round(median(cpu.stoUnverified))} ms, node ${cpuNote(cpu.nodeUnverified)}; bare eth_getLogs: node ${cpuNote(cpu.nodeBare)}`,
  });
  // The absolute target holds only where the node serves logs faster than 25,000 events/s.
  const applies = result.bareEventsPerSecond > 25_000;
  figures.add({
    id: `${prefix}.events-per-s`,
    label: `${head}: sto token-scan end to end (wall time, process start included)`,
    value: result.eventsPerSecond,
    unit: "events/s",
    target: applies ? { op: ">=", bound: 25_000 } : undefined,
    note: applies ? undefined : `target ≥ 25,000 events/s not applicable: the node serves ${Math.round(result.bareEventsPerSecond).toLocaleString("en-US")} events/s`,
  });
  const measured = last as ScanMeasure;
  // Paired runs: each run's scan with the check against the same run's scan without it.
  const shares = stoMs.map((ms, index) => ((ms - unverifiedMs[index]) / ms) * 100);
  figures.add({
    id: `${prefix}.verify-share`,
    label: `${head}: cost of the check against the chain (balanceOf of ${measured.verifiedHolders.toLocaleString("en-US")} holders by ${measured.verifyMethod}, totalSupply), share of the scan's time`,
    value: median(shares),
    unit: "%",
    digits: 1,
    target: { op: "<=", bound: 15 },
    note: `scan ${Math.round(median(stoMs))} ms with the check, ${Math.round(median(unverifiedMs))} ms with --no-verify; ${Math.round(median(tailMs))} ms after the last chunk; ${runsNote(shares, 1)}`,
  });
  figures.add({ id: `${prefix}.bare-events-per-s`, label: `${head}: bare eth_getLogs`, value: result.bareEventsPerSecond, unit: "events/s" });
  figures.add({ id: `${prefix}.peak-rss`, label: `${head}: peak memory of the sto process`, value: result.peakRssMb, unit: "MB" });
  return result;
}

export interface CapTableMeasure {
  holders: number;
  queryMs: number;
  buildMs: number;
  commandMs: number;
  peakRssMb: number;
}

/** The balances query alone (in this process) and the whole `sto cap-table` command, medians of `runs`. */
export async function measureCapTable(
  node: NodeProcess,
  database: string,
  token: BuiltToken,
  atBlock: number,
  runs: number,
  nodeOptions: string[] = [],
): Promise<CapTableMeasure> {
  const db = database.startsWith("postgresql://")
    ? await openAuditDatabase(parseDatabaseUrl(database, "bench"))
    : await openAuditDatabase({ engine: "sqlite", file: database });
  const queryMs: number[] = [];
  const buildMs: number[] = [];
  let holders = 0;
  try {
    const scanned = await findScannedTokenIn(db.sql, LOCAL_CHAIN_ID, getAddress(token.address));
    if (!scanned) throw new Error("token not scanned");
    for (let run = 0; run < runs; run++) {
      let started = performance.now();
      holders = (await balancesAtBlock(db.sql, scanned.id, atBlock, false)).length;
      queryMs.push(performance.now() - started);
      started = performance.now();
      await buildCapTable(db, { chainId: LOCAL_CHAIN_ID, tokenAddress: getAddress(token.address), atBlock });
      buildMs.push(performance.now() - started);
    }
  } finally {
    await db.close();
  }
  const commands: StoRun[] = [];
  for (let run = 0; run < runs; run++) {
    commands.push(
      await runSto(["--ethereum-node-url", node.url, ...databaseArgs(database), "cap-table", "--token-address", token.address, "--at-block", String(atBlock)], {}, nodeOptions),
    );
  }
  return {
    holders,
    queryMs: median(queryMs),
    buildMs: median(buildMs),
    commandMs: median(commands.map((run) => run.wallMs)),
    peakRssMb: Math.max(...commands.map((run) => run.maxRssKb / 1024)),
  };
}

export async function capTableFigures(figures: Figures, node: NodeProcess, database: string, token: BuiltToken, runs: number): Promise<CapTableMeasure> {
  // A past block: after half of the token's transfers, when every holder already holds some.
  const atBlock = token.blocks[Math.floor(token.blocks.length / 2)].block;
  const measure = await measureCapTable(node, database, token, atBlock, Math.max(runs, 5));
  figures.add({
    id: "captable.query-ms",
    label: `cap table: balances query for ${measure.holders.toLocaleString("en-US")} holders at past block ${atBlock}`,
    value: measure.queryMs,
    unit: "ms",
    digits: 1,
    target: { op: "<", bound: 100 },
  });
  figures.add({
    id: "captable.command-ms",
    label: "cap table: whole sto cap-table --at-block command (wall time, process start included)",
    value: measure.commandMs,
    unit: "ms",
    target: { op: "<", bound: 1000 },
    note: `cap table built in ${measure.buildMs.toFixed(0)} ms; peak ${Math.round(measure.peakRssMb)} MB`,
  });
  return measure;
}
