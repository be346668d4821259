/**
 * Paired CPU comparison of two builds' `sto token-scan --no-verify` on the growth series' largest
 * token (100,001 Transfer events, each to a new holder): the sto process's own CPU time, which the
 * load of other work on the machine barely moves (wall time does).
 *
 *   tsx bench/scan-cpu.ts serve STATE.json            starts `sto node`, builds the token once, writes
 *                                                     STATE.json and keeps the node running (Ctrl-C ends it)
 *   tsx bench/scan-cpu.ts pairs STATE.json OLD_BIN [--runs 5] [--new NEW_BIN]
 *                                                     scans into a fresh database with each build in turn,
 *                                                     alternating which goes first, and prints the medians
 *
 * OLD_BIN is another build's bin/sto (e.g. a copy of bin/ and dist/ made before a change); NEW_BIN is
 * this repository's by default.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { median } from "./lib/figures";
import { cpuMsOf, startNodeProcess, STO_BIN } from "./lib/node-process";
import { runSto, setMeasuredSto } from "./lib/sto-cli";
import { TokenBuilder, type BuiltToken } from "./lib/tokens";
import { removeDatabase } from "./workloads/distribution";

interface State {
  url: string;
  pid: number;
  token: BuiltToken;
}

/** The growth series' largest size and seed (bench/workloads/growth.ts: seed 100 + index). */
const HOLDERS = 100_000;
const SEED = 102;

async function serve(stateFile: string): Promise<void> {
  const node = await startNodeProcess();
  const token = await new TokenBuilder(node, 2).build(HOLDERS, HOLDERS, SEED);
  const state: State = { url: node.url, pid: node.child.pid as number, token };
  fs.writeFileSync(stateFile, JSON.stringify(state));
  console.log(`token ${token.address}: ${token.events} events, blocks ${token.createdAt}-${token.lastBlock}; node ${node.url} (pid ${state.pid})`);
  await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
  await node.stop();
}

async function scanCpu(state: State, bin: string, dir: string, label: string): Promise<{ stoMs: number; nodeMs: number; wallMs: number }> {
  setMeasuredSto(bin);
  const database = path.join(dir, `${label}.sqlite`);
  const nodeBefore = cpuMsOf(state.pid) ?? 0;
  const run = await runSto([
    "--ethereum-node-url", state.url, "--database-file", database, "--json", "token-scan", "--token-address", state.token.address,
    "--end-block", String(state.token.lastBlock), "--no-verify",
  ]);
  const nodeMs = (cpuMsOf(state.pid) ?? 0) - nodeBefore;
  const result = JSON.parse(run.stdout) as { events: number };
  if (result.events !== state.token.events) throw new Error(`${label}: stored ${result.events} events, the token has ${state.token.events}`);
  removeDatabase(database);
  return { stoMs: run.cpuMs, nodeMs, wallMs: run.wallMs };
}

async function pairs(stateFile: string, oldBin: string, newBin: string, runs: number): Promise<void> {
  const state = JSON.parse(fs.readFileSync(stateFile, "utf8")) as State;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sto-scan-cpu-"));
  const results: Record<"old" | "new", { stoMs: number; nodeMs: number; wallMs: number }[]> = { old: [], new: [] };
  for (let round = 0; round < runs; round++) {
    const order: ("old" | "new")[] = round % 2 === 0 ? ["old", "new"] : ["new", "old"];
    for (const which of order) {
      const measured = await scanCpu(state, which === "old" ? oldBin : newBin, dir, `${which}-${round}`);
      results[which].push(measured);
      console.log(`round ${round + 1} ${which}: sto CPU ${measured.stoMs} ms, node CPU ${measured.nodeMs} ms, wall ${Math.round(measured.wallMs)} ms (load ${os.loadavg()[0].toFixed(1)})`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  for (const which of ["old", "new"] as const) {
    const rows = results[which];
    console.log(
      `${which}: sto CPU median ${median(rows.map((row) => row.stoMs))} ms (${rows.map((row) => row.stoMs).join(", ")}); ` +
        `node ${median(rows.map((row) => row.nodeMs))} ms; wall ${Math.round(median(rows.map((row) => row.wallMs)))} ms`,
    );
  }
  const ratio = median(results.new.map((row) => row.stoMs)) / median(results.old.map((row) => row.stoMs));
  console.log(`new / old sto CPU: ${ratio.toFixed(3)}`);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { runs: { type: "string", default: "5" }, new: { type: "string", default: STO_BIN } },
  });
  const [command, stateFile, oldBin] = positionals;
  if (command === "serve" && stateFile) return serve(stateFile);
  if (command === "pairs" && stateFile && oldBin) return pairs(stateFile, path.resolve(oldBin), path.resolve(values.new), Number(values.runs));
  throw new Error("usage: tsx bench/scan-cpu.ts serve STATE.json | pairs STATE.json OLD_BIN [--runs N] [--new NEW_BIN]");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
