/**
 * Growth: workloads 1 and 3 at 1,000, 10,000 and 100,000 rows and events, and the cap table at
 * 1,000 to 1,000,000 holders (captable-scale.ts), to show how
 * time and memory grow. Time per item should not rise with the size (linear time), and the largest
 * size should run in a fixed JavaScript heap (bounded memory: the scan streams chunks of about
 * 5,000 events).
 */
import fs from "node:fs";
import path from "node:path";
import { formatNumber, median, runsNote, type Figures } from "../lib/figures";
import type { NodeProcess } from "../lib/node-process";
import { TokenBuilder, type BuiltToken } from "../lib/tokens";
import { issueToken, measurePrepare } from "./distribution";
import { bareGetLogs, cpuNote, SCAN_RATIO_TARGET, stoScan } from "./scan";
import { capTableScaleFigures } from "./captable-scale";

/** Pairs of (sto --no-verify, bare eth_getLogs) behind the judged growth scan figure. */
const SCAN_RATIO_PAIRS = 3;

export interface GrowthRow {
  size: number;
  ms: number;
  peakRssMb: number;
  extra?: string;
}

const SIZES = [1_000, 10_000, 100_000];

/**
 * The JavaScript heap the largest size must fit in for its memory to count as bounded. Peak RSS
 * alone does not tell: V8 lets the heap grow well past what is live before it collects, so RSS
 * rises with the length of a run even when the live data does not.
 */
const HEAP_CAP_MB = 128;

/** Runs `measure` with the JavaScript heap capped; true when the command completed. */
async function fitsInHeap(figures: Figures, id: string, label: string, measure: (nodeOptions: string[]) => Promise<unknown>): Promise<void> {
  let completed = true;
  let reason = "";
  try {
    await measure([`--max-old-space-size=${HEAP_CAP_MB}`]);
  } catch (error) {
    completed = false;
    reason = /heap out of memory/.test(String(error)) ? "JavaScript heap out of memory" : String(error).split("\n")[0].slice(0, 120);
  }
  figures.add({
    id,
    label: `growth: ${label} in a ${HEAP_CAP_MB} MB JavaScript heap (--max-old-space-size=${HEAP_CAP_MB})`,
    value: completed ? 1 : 0,
    unit: completed ? "(completed)" : "(failed)",
    target: { op: ">=", bound: 1 },
    note: completed ? "memory bounded" : `${reason}: memory grows with the size`,
  });
}

function table(title: string, unit: string, rows: GrowthRow[]): void {
  console.log(`\n      ${title}`);
  console.log(`      ${"size".padStart(8)} ${"time".padStart(10)} ${`µs/${unit}`.padStart(10)} ${"peak RSS".padStart(10)}`);
  for (const row of rows) {
    console.log(
      `      ${formatNumber(row.size).padStart(8)} ${`${formatNumber(row.ms)} ms`.padStart(10)} ${formatNumber((row.ms * 1000) / row.size, 1).padStart(10)} ${`${formatNumber(row.peakRssMb)} MB`.padStart(10)}${row.extra ? `  ${row.extra}` : ""}`,
    );
  }
}

/**
 * Linear time: the time per item at the largest size is at most 1.5 times that at the middle size
 * (fixed costs make the smallest size dearer per item; 1.5 leaves room for a shared machine's noise).
 */
function linearity(figures: Figures, id: string, label: string, rows: GrowthRow[]): void {
  const [, middle, large] = rows;
  const ratio = large.ms / large.size / (middle.ms / middle.size);
  figures.add({
    id,
    label: `growth: ${label}, time per item at ${formatNumber(large.size)} relative to ${formatNumber(middle.size)}`,
    value: ratio,
    unit: "×",
    digits: 2,
    target: { op: "<=", bound: 1.5 },
  });
}

export async function growthFigures(figures: Figures, node: NodeProcess, dir: string, options: { quick: boolean; only: Set<string> }): Promise<void> {
  const sizes = options.quick ? SIZES.map((size) => size / 10) : SIZES;
  if (options.only.has("prepare")) {
    const growthDir = path.join(dir, "growth");
    fs.mkdirSync(growthDir, { recursive: true });
    const setup = await issueToken(node, growthDir);
    const rows: GrowthRow[] = [];
    for (const size of sizes) {
      const measure = await measurePrepare(setup, size, 1, [], "growth");
      const run = measure.runs[0];
      rows.push({ size, ms: run.commandMs, peakRssMb: run.maxRssKb / 1024, extra: `${formatNumber(size / (run.commandMs / 1000))} rows/s` });
    }
    table("prepare (distribute-multiple, one transfer per row; time after process start)", "row", rows);
    linearity(figures, "growth.prepare-linear", "prepare", rows);
    await fitsInHeap(figures, "growth.prepare-heap", `prepare of ${formatNumber(sizes[2])} rows`, (nodeOptions) =>
      measurePrepare(setup, sizes[2], 1, [], "growth-capped", nodeOptions),
    );
  }
  if (options.only.has("captable")) await capTableScaleFigures(figures, dir, { quick: options.quick, runs: 3 });
  if (options.only.has("scan")) {
    const builder = new TokenBuilder(node, 2);
    const scans: GrowthRow[] = [];
    let largest: { token: BuiltToken; database: string } | undefined;
    for (const [index, size] of sizes.entries()) {
      // `size` holders, one transfer each (plus the issuance): `size` + 1 events.
      const token = await builder.build(size, size, 100 + index);
      const bare = await bareGetLogs(node, token);
      // Every holder is new, so the check against the chain reads balanceOf of all of them: with a
      // limit that covers them (100,001 holders are more than the default 100,000, which would
      // leave the check partial). The same scan without the check shows what the check costs.
      const scan = await stoScan(node, dir, token, `growth-${size}`, [], { verifyLimit: token.holders + 1 });
      const unverified = await stoScan(node, dir, token, `growth-${size}-unverified`, [], { verify: false });
      scans.push({
        size: token.events,
        ms: scan.run.wallMs,
        peakRssMb: scan.run.maxRssKb / 1024,
        extra:
          `${scan.chunks} chunks; bare eth_getLogs ${formatNumber(bare.ms)} ms (${(scan.run.wallMs / bare.ms).toFixed(2)}×); ` +
          `check of ${formatNumber(scan.verifiedHolders)} balances ${formatNumber(scan.verifyMs)} ms after the last chunk; ` +
          `--no-verify ${formatNumber(unverified.run.wallMs)} ms (${(unverified.run.wallMs / bare.ms).toFixed(2)}×)`,
      });
      largest = { token, database: scan.database };
      if (size === sizes[2]) {
        // Issue 19's target at 100,001 events. Every event here makes a new holder, so the check
        // reads balanceOf of 100,001 holders: on Hardhat that costs the node more than the logs
        // themselves (docs/benchmarks.md), whatever sto does. The target is judged on the scan
        // without the check; the check's cost is shown beside it, not hidden. One pair of runs
        // spread from 1.20 to 1.45 × on an idle machine: the figure is the median of three pairs,
        // the order alternating.
        const pairs = [{ sto: unverified, bare }];
        for (let pair = 1; pair < SCAN_RATIO_PAIRS; pair++) {
          const scan = () => stoScan(node, dir, token, `growth-${size}-unverified-${pair}`, [], { verify: false });
          if (pair % 2 === 1) {
            const sto = await scan();
            pairs.push({ sto, bare: await bareGetLogs(node, token) });
          } else {
            const bareAgain = await bareGetLogs(node, token);
            pairs.push({ sto: await scan(), bare: bareAgain });
          }
        }
        const ratios = pairs.map((pair) => pair.sto.run.wallMs / pair.bare.ms);
        const middle = pairs[ratios.indexOf(median(ratios))];
        figures.add({
          id: "growth.scan-ratio-unverified",
          label: `growth: sto token-scan --no-verify of ${formatNumber(token.events)} events (each a new holder), time relative to bare eth_getLogs`,
          value: median(ratios),
          unit: "×",
          digits: 2,
          target: { op: "<=", bound: SCAN_RATIO_TARGET },
          note: `${runsNote(ratios, 2)}; the median pair ${formatNumber(middle.sto.run.wallMs)} ms against ${formatNumber(middle.bare.ms)} ms; CPU: sto ${formatNumber(middle.sto.run.cpuMs)} ms, node ${cpuNote(middle.sto.nodeCpuMs === undefined ? [] : [middle.sto.nodeCpuMs])} (bare: node ${cpuNote(middle.bare.nodeCpuMs === undefined ? [] : [middle.bare.nodeCpuMs])})`,
        });
        figures.add({
          id: "growth.scan-ratio-verified",
          label: `growth: the same with the check against the chain (balanceOf of ${formatNumber(scan.verifiedHolders)} holders), time relative to bare eth_getLogs`,
          value: scan.run.wallMs / bare.ms,
          unit: "×",
          digits: 2,
          note: `no target (the node's balanceOf work alone exceeds its work for the logs); the check adds ${formatNumber(scan.run.wallMs - unverified.run.wallMs)} ms, ${formatNumber(scan.verifyMs)} ms of it after the last chunk; CPU: sto ${formatNumber(scan.run.cpuMs)} ms, node ${cpuNote(scan.nodeCpuMs === undefined ? [] : [scan.nodeCpuMs])}`,
        });
      }
    }
    table("scan (sto token-scan, wall time with process start)", "event", scans);
    linearity(figures, "growth.scan-linear", "scan", scans);
    const big = largest as { token: BuiltToken; database: string };
    await fitsInHeap(figures, "growth.scan-heap", `scan of ${formatNumber(big.token.events)} events`, (nodeOptions) =>
      stoScan(node, dir, big.token, "growth-capped", nodeOptions, { verifyLimit: big.token.holders + 1 }),
    );
  }
}
