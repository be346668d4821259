/**
 * The steps of `sto distribute-multiple` as the delivery benchmark runs it (anvil mining a block a
 * second, a token issued by sto, 10,000 new receivers), with `--log-level debug` so the command
 * prints how long each step took. Two builds alternate (which goes first changes every round), each
 * on a fresh copy of the same database; the medians of every step, of the process's CPU time and
 * of the paired differences are printed.
 *
 *   npx tsx bench/distribution-steps.ts OLD_BIN [--new NEW_BIN] [--runs 7] [--mode batch|single|both]
 *
 * OLD_BIN is another build's bin/sto (a copy of bin/, dist/, artifacts/ and package.json beside a
 * node_modules link, made before a change); NEW_BIN is this repository's by default. `batch` runs
 * with --batch-size 200 (50 batchTransfer transactions), `single` without (10,000 transfers).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { median } from "./lib/figures";
import { startMiningNode, STO_BIN } from "./lib/node-process";
import { runSto, setMeasuredSto } from "./lib/sto-cli";
import { copyDatabase, issueBenchToken, writeDistributionCsv } from "./workloads/distribution";

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { new: { type: "string", default: STO_BIN }, runs: { type: "string", default: "7" }, mode: { type: "string", default: "both" } },
  });
  const [oldBin] = positionals;
  if (!oldBin) throw new Error("usage: npx tsx bench/distribution-steps.ts OLD_BIN [--new NEW_BIN] [--runs 7] [--mode batch|single|both]");
  const bins = [oldBin, values.new as string];
  const modes = values.mode === "both" ? ["batch", "single"] : [values.mode as string];
  const runs = Number(values.runs);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sto-distribution-steps-"));
  const node = await startMiningNode("anvil", 1);
  try {
    const template = path.join(dir, "template.sqlite");
    setMeasuredSto(bins[1]);
    const token = await issueBenchToken(node.url, template);
    const csv = writeDistributionCsv(dir, 10_000, 19);
    // results[mode][build][run]: the step times and the process's totals of one run.
    const results = new Map<string, Record<string, number>[][]>(modes.map((mode) => [mode, bins.map(() => [])]));
    let copies = 0;
    for (let run = 0; run < runs; run++) {
      for (const mode of modes) {
        for (const build of run % 2 === 0 ? [0, 1] : [1, 0]) {
          setMeasuredSto(bins[build]);
          const database = path.join(dir, `run-${copies++}.sqlite`);
          copyDatabase(template, database);
          const batch = mode === "batch" ? ["--batch-size", "200"] : [];
          const args = ["--ethereum-node-url", node.url, "--database-file", database, "--log-level", "debug"];
          const result = await runSto([...args, "distribute-multiple", "--csv-input", csv, "--address", token, ...batch]);
          const figures: Record<string, number> = { cpuMs: result.cpuMs, commandMs: result.commandMs, wallMs: Math.round(result.wallMs) };
          for (const [, step, ms] of result.stderr.matchAll(/distribution: (.*?) in (\d+) ms/g)) figures[step.replace(/^(validated|prepared) \d+/, "$1 N")] = Number(ms);
          results.get(mode)?.[build].push(figures);
          fs.rmSync(database, { force: true });
        }
      }
    }
    for (const [mode, [before, after]] of results) {
      console.log(`\n${mode}: ${runs} runs each; median before, after, and of the paired differences (after - before), ms`);
      for (const field of Object.keys(before[0])) {
        const differences = before.map((figures, index) => (after[index][field] ?? 0) - figures[field]);
        const column = (values: number[]) => String(Math.round(median(values))).padStart(6);
        console.log(`  ${field.padEnd(42)}${column(before.map((figures) => figures[field]))}${column(after.map((figures) => figures[field] ?? 0))}${column(differences)}`);
      }
    }
  } finally {
    await node.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
