/**
 * `npm run bench`: every workload of issue 8, one line per figure with its target and PASS/FAIL,
 * exit code 1 when a target is missed. docs/benchmarks.md explains each figure.
 *
 *   npm run bench                          full sizes (10,000 rows, 10,000 transactions, 200,000 events),
 *                                          then the growth series at 1k, 10k and 100k (about 15 minutes)
 *   npm run bench -- --quick               a tenth of the sizes, one run each, no growth series: a smoke
 *                                          test (only the gas targets, which do not depend on sizes, are judged)
 *   npm run bench -- --no-growth           without the growth series
 *   npm run bench -- --growth-only         only the growth series (with --only: of those workloads)
 *   npm run bench -- --only prepare,scan   some workloads (prepare, broadcast, update, scan, captable, gas, postgres, delivery)
 *                                          (postgres: prepare, scan and cap table again on a throw-away
 *                                          PostgreSQL server from npm, beside SQLite's figures, and the
 *                                          cap table of 1,000,000 synthetic holders; captable's growth
 *                                          series goes to 1,000,000 synthetic holders;
 *                                          delivery: 10,000 payments from distribute-multiple to final on
 *                                          anvil --block-time 1 and on Hardhat mining every second,
 *                                          against the gas-bound minimum;
 *                                          broadcast: also against the raw sequential transport loop on
 *                                          anvil, anvil --block-time 1 and Hardhat mining every second)
 *   npm run bench -- --runs 5              runs per figure behind the medians (default 3)
 *   npm run bench -- --json results.json   also write the figures as JSON
 *   npm run bench -- --sto ../old/bin/sto  measure another build's CLI (before/after comparisons;
 *                                          the chain is always this repository's sto node)
 *
 * The chain is `sto node` in a process of its own; every sto command measured is the real CLI
 * (bin/sto over dist/, so `npm run bench` builds first) in a process of its own, spawned without
 * blocking the driver.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Figures } from "./lib/figures";
import { startAnvilProcess, startNodeProcess } from "./lib/node-process";
import { setMeasuredSto } from "./lib/sto-cli";
import { broadcastFigures, issueToken, prepareFigures } from "./workloads/distribution";
import { capTableFigures, scanFigures } from "./workloads/scan";
import { gasFigures } from "./workloads/gas";
import { postgresFigures, type PostgresWork } from "./workloads/postgres";
import { growthFigures } from "./workloads/growth";
import { deliveryFigures } from "./workloads/delivery";
import { nodeBroadcastFigures } from "./workloads/broadcast-nodes";
import { TokenBuilder } from "./lib/tokens";

const WORKLOADS = ["prepare", "broadcast", "update", "scan", "captable", "gas", "postgres", "delivery"] as const;
type Workload = (typeof WORKLOADS)[number];

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      "no-growth": { type: "boolean", default: false },
      "growth-only": { type: "boolean", default: false },
      only: { type: "string" },
      runs: { type: "string" },
      json: { type: "string" },
      keep: { type: "boolean", default: false },
      sto: { type: "string" },
    },
  });
  const only = new Set<Workload>(
    values.only === undefined
      ? WORKLOADS
      : values.only.split(",").map((name) => {
          if (!(WORKLOADS as readonly string[]).includes(name)) throw new Error(`--only: unknown workload ${name} (${WORKLOADS.join(", ")})`);
          return name as Workload;
        }),
  );
  if (values.sto) setMeasuredSto(path.resolve(values.sto));
  const quick = values.quick ?? false;
  const runs = Number(values.runs ?? (quick ? 1 : 3));
  const scale = quick ? 10 : 1;
  console.log(
    `sto benchmarks${quick ? " (quick: a tenth of the sizes)" : ""}: ${os.cpus().length} CPUs, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node.js ${process.version}, load average ${os.loadavg().map((load) => load.toFixed(1)).join(" ")}`,
  );
  const figures = new Figures(quick);
  const growthOnly = values["growth-only"] ?? false;
  const mainWorkload = (workload: Workload) => !growthOnly && only.has(workload);
  if (mainWorkload("gas")) await gasFigures(figures);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sto-bench-"));
  const node = await startNodeProcess();
  const postgres: PostgresWork = { rows: 10_000 / scale, scaleHolders: 1_000_000 / scale, sqlite: {} };
  try {
    if (mainWorkload("prepare") || mainWorkload("broadcast") || mainWorkload("update")) {
      const rows = 10_000 / scale;
      const setup = await issueToken(node, dir);
      const prepared = await prepareFigures(figures, setup, rows, runs);
      postgres.sqlite.prepareRowsPerSecond = prepared.rowsPerSecond;
      if (mainWorkload("broadcast") || mainWorkload("update")) {
        await broadcastFigures(figures, setup, prepared.prepared, rows, runs, { update: mainWorkload("update") });
        if (mainWorkload("broadcast")) await nodeBroadcastFigures(figures, dir, rows, runs);
      }
    }
    if (mainWorkload("scan") || mainWorkload("captable") || mainWorkload("postgres")) {
      const builder = new TokenBuilder(node, 1);
      const started = Date.now();
      const token = await builder.build(200_000 / scale, 10_000 / scale, 1);
      console.log(`      (built a token with ${token.events} events among ${token.holders} holders in ${((Date.now() - started) / 1000).toFixed(0)} s)`);
      postgres.token = token;
      if (mainWorkload("scan") || mainWorkload("captable")) {
        const scanned = await scanFigures(figures, node, dir, token, runs);
        postgres.sqlite.scanEventsPerSecond = scanned.eventsPerSecond;
        if (mainWorkload("captable")) postgres.sqlite.capTableQueryMs = (await capTableFigures(figures, node, scanned.database, token, runs)).queryMs;
      }
    }
    if (mainWorkload("scan")) {
      // The same scan on anvil: Hardhat's node records every EVM step of an eth_call, so there the
      // check's balanceOf reads cost ~1 s of its CPU; anvil (like geth) does not.
      const anvil = await startAnvilProcess();
      try {
        const started = Date.now();
        const token = await new TokenBuilder(anvil, 1).build(200_000 / scale, 10_000 / scale, 1);
        console.log(`      (built the same token on anvil in ${((Date.now() - started) / 1000).toFixed(0)} s)`);
        await scanFigures(figures, anvil, dir, token, runs, "scan-anvil", "on anvil");
      } finally {
        await anvil.stop();
      }
    }
    if (mainWorkload("postgres")) await postgresFigures(figures, node, dir, postgres, runs);
    if (mainWorkload("delivery")) await deliveryFigures(figures, dir, 10_000 / scale);
    if (growthOnly || (!quick && !values["no-growth"])) await growthFigures(figures, node, dir, { quick, only });
  } finally {
    await node.stop();
    if (!values.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
  if (values.json) fs.writeFileSync(values.json, `${JSON.stringify(figures.all, null, 2)}\n`);
  const failed = figures.failed;
  console.log(failed.length === 0 ? "All targets met." : `${failed.length} target(s) missed: ${failed.map((figure) => figure.id).join(", ")}`);
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 2;
  },
);
