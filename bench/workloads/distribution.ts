/**
 * Workloads 1 and 2: preparing a distribution with `sto distribute-multiple`, and broadcasting the
 * prepared transactions with `sto tx-broadcast` against a bare ethers loop sending the same signed
 * bytes to the same chain state (evm_snapshot / evm_revert between the two).
 */
import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import Database from "better-sqlite3";
import { JsonRpcProvider, keccak256, Network } from "ethers";
import { LOCAL_CHAIN_ID } from "../../src/chain/local-node";
import { median, runsNote, type Figures } from "../lib/figures";
import { holderAddresses } from "../lib/tokens";
import type { NodeProcess } from "../lib/node-process";
import { runSto, type StoRun } from "../lib/sto-cli";

export interface DistributionSetup {
  dir: string;
  node: NodeProcess;
  token: string;
  /** A database with the token issued and nothing waiting: the state before each prepare. */
  template: string;
}

/** A SQLite file, or a PostgreSQL URL (its password in PGPASSWORD, see bench/lib/postgres.ts). */
export function databaseArgs(database: string): string[] {
  return database.startsWith("postgresql://") ? ["--database-url", database] : ["--database-file", database];
}

export function stoArgs(node: NodeProcess, database: string): string[] {
  return ["--ethereum-node-url", node.url, ...databaseArgs(database)];
}

/** Issues a token with sto itself, as a user would, into `template` (default a SQLite file in `dir`). */
export async function issueToken(node: NodeProcess, dir: string, template = path.join(dir, "template.sqlite")): Promise<DistributionSetup> {
  return { dir, node, token: await issueBenchToken(node.url, template), template };
}

/**
 * sto issue, then tx-broadcast --wait until the token is final (on a node mining each transaction
 * at once or on a timer alike): the token's address.
 */
export async function issueBenchToken(nodeUrl: string, database: string): Promise<string> {
  const base = ["--ethereum-node-url", nodeUrl, ...databaseArgs(database)];
  const issued = await runSto([...base, "issue", "--symbol", "BNCH", "--name", "Bench Corp", "--url", "https://example.com", "--amount", "1000000000000"]);
  const match = /Token address will be (0x[0-9a-fA-F]{40})/.exec(issued.stdout);
  if (!match) throw new Error(`no token address in the output of sto issue:\n${issued.stdout}`);
  await runSto([...base, "tx-broadcast", "--wait", "--confirmations", "1", "--timeout", "120"]);
  return match[1];
}

/** A distribution CSV of `rows` new receivers. */
export function writeDistributionCsv(dir: string, rows: number, seed: number): string {
  const receivers = holderAddresses(rows, seed);
  const lines = ["external_id,email,name,address,amount"];
  receivers.forEach((address, index) => lines.push(`pay-${seed}-${index},holder${index}@example.com,Holder ${index},${address},${(index % 97) + 1}.25`));
  const file = path.join(dir, `distribution-${seed}-${rows}.csv`);
  fs.writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

/** Removes a SQLite database and its WAL files, if they exist. */
export function removeDatabase(file: string): void {
  for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(`${file}${suffix}`, { force: true });
}

/** Copies a closed SQLite database (the CLI checkpoints its WAL on close). */
export function copyDatabase(from: string, to: string): void {
  for (const suffix of ["-wal", "-shm"]) fs.rmSync(`${to}${suffix}`, { force: true });
  fs.copyFileSync(from, to);
  for (const suffix of ["-wal", "-shm"]) if (fs.existsSync(`${from}${suffix}`)) fs.copyFileSync(`${from}${suffix}`, `${to}${suffix}`);
}

export interface PrepareMeasure {
  rows: number;
  runs: StoRun[];
  /** Rows per second over the command's own time (after the process started and loaded its modules). */
  rowsPerSecond: number;
  /** Rows per second over the whole wall time, process start included. */
  rowsPerSecondWall: number;
  peakRssMb: number;
  /** A database holding the prepared distribution (of the last run). */
  prepared: string;
}

/**
 * Runs `sto distribute-multiple` `runs` times on copies of the template; medians. `copy` makes the
 * copy (default: a SQLite file beside the template) and names it.
 */
export async function measurePrepare(
  setup: DistributionSetup,
  rows: number,
  runs: number,
  extra: string[] = [],
  label = "prepare",
  nodeOptions: string[] = [],
  copy: (label: string) => Promise<string> = async (name) => {
    const file = path.join(setup.dir, `${name}.sqlite`);
    copyDatabase(setup.template, file);
    return file;
  },
): Promise<PrepareMeasure> {
  const csv = writeDistributionCsv(setup.dir, rows, 1000 + rows);
  const results: StoRun[] = [];
  let prepared = "";
  for (let run = 0; run < runs; run++) {
    prepared = await copy(`${label}-${rows}-${run}`);
    results.push(await runSto([...stoArgs(setup.node, prepared), "distribute-multiple", "--csv-input", csv, "--address", setup.token, ...extra], {}, nodeOptions));
  }
  return {
    rows,
    runs: results,
    rowsPerSecond: median(results.map((run) => rows / (run.commandMs / 1000))),
    rowsPerSecondWall: median(results.map((run) => rows / (run.wallMs / 1000))),
    peakRssMb: Math.max(...results.map((run) => run.maxRssKb / 1024)),
    prepared,
  };
}

export async function prepareFigures(figures: Figures, setup: DistributionSetup, rows: number, runs: number): Promise<PrepareMeasure> {
  const single = await measurePrepare(setup, rows, runs);
  const rates = single.runs.map((run) => rows / (run.commandMs / 1000));
  figures.add({
    id: "prepare.rows-per-s",
    label: `prepare: distribute-multiple ${rows.toLocaleString("en-US")} rows, one transfer per row, after process start`,
    value: single.rowsPerSecond,
    unit: "rows/s",
    target: { op: ">=", bound: 10_000 },
    note: runsNote(rates),
  });
  figures.add({
    id: "prepare.peak-rss",
    label: "prepare: peak memory of the sto process",
    value: single.peakRssMb,
    unit: "MB",
    target: { op: "<=", bound: 250 },
  });
  figures.add({
    id: "prepare.rows-per-s-wall",
    label: "prepare: the same, process start included (wall time)",
    value: single.rowsPerSecondWall,
    unit: "rows/s",
    note: `start-up ${Math.round(median(single.runs.map((run) => run.startupMs)))} ms`,
  });
  const batch = await measurePrepare(setup, rows, 1, ["--batch-size", "200"], "batch");
  figures.add({
    id: "prepare.batch-rows-per-s",
    label: `prepare: --batch-size 200 (${rows / 200} batchTransfer transactions), after process start`,
    value: batch.rowsPerSecond,
    unit: "rows/s",
    note: `peak ${Math.round(batch.peakRssMb)} MB`,
  });
  // Re-running the same file: every row is found prepared and skipped.
  const rerun = await runSto([
    ...stoArgs(setup.node, single.prepared),
    "distribute-multiple",
    "--csv-input",
    writeDistributionCsv(setup.dir, rows, 1000 + rows),
    "--address",
    setup.token,
  ]);
  figures.add({
    id: "prepare.rerun-rows-per-s",
    label: "prepare: re-run of the same file (every row already prepared), after process start",
    value: rows / (rerun.commandMs / 1000),
    unit: "rows/s",
  });
  return single;
}

/** Raw signed transactions of a database, in nonce order. */
export function signedTransactions(database: string): string[] {
  const db = new Database(database, { readonly: true });
  try {
    return (db.prepare("SELECT raw_transaction FROM prepared_transactions WHERE raw_transaction IS NOT NULL AND status <> 'success' ORDER BY nonce").pluck().all() as string[]);
  } finally {
    db.close();
  }
}

/**
 * The bare loop: one eth_sendRawTransaction at a time with ethers' provider.send, awaiting each
 * answer. With `direct`, through the provider's transport (_send) instead, which skips the
 * setTimeout(0) that send() puts before every request, as tx-broadcast does: the least any
 * sequential ethers client can take, for information.
 */
export async function bareLoop(url: string, raws: readonly string[], direct = false): Promise<number> {
  const network = Network.from(LOCAL_CHAIN_ID);
  // batchMaxCount 1: no 10 ms wait to gather requests into batches (the fastest sequential ethers loop).
  const provider = new JsonRpcProvider(url, network, { staticNetwork: network, batchMaxCount: 1, cacheTimeout: -1 });
  try {
    const started = performance.now();
    let id = 0;
    for (const raw of raws) {
      if (!direct) {
        await provider.send("eth_sendRawTransaction", [raw]);
        continue;
      }
      const [answer] = (await provider._send({ method: "eth_sendRawTransaction", params: [raw], id: ++id, jsonrpc: "2.0" })) as { error?: unknown }[];
      if (answer.error) throw new Error(`eth_sendRawTransaction: ${JSON.stringify(answer.error)}`);
    }
    return performance.now() - started;
  } finally {
    provider.destroy();
  }
}

export interface BroadcastMeasure {
  transactions: number;
  ratio: number;
  stoPerSecond: number;
  barePerSecond: number;
}

/**
 * `sto tx-broadcast` of a prepared database against the bare loop, both from the same chain state:
 * a snapshot before, a revert after each. The bare loop sends the bytes sto signed and recorded.
 * After the first run the order alternates, so a drift in the machine's load favours neither.
 */
export async function broadcastFigures(
  figures: Figures,
  setup: DistributionSetup,
  prepared: string,
  transactions: number,
  runs: number,
  options: { update?: boolean } = {},
): Promise<BroadcastMeasure> {
  const node = setup.node;
  const stoMs: number[] = [];
  const bareMs: number[] = [];
  const updateMs: number[] = [];
  const receiptLoopMs: number[] = [];
  let raws: string[] = [];
  const runStoBroadcast = async (run: number) => {
    const database = path.join(setup.dir, `broadcast-${run}.sqlite`);
    copyDatabase(prepared, database);
    const snapshot = await node.rpc<string>("evm_snapshot");
    const result = await runSto([...stoArgs(node, database), "tx-broadcast"]);
    stoMs.push(result.wallMs);
    const sent = signedTransactions(database);
    if (sent.length !== transactions) throw new Error(`tx-broadcast signed ${sent.length} transactions, expected ${transactions}`);
    const latest = Number(await node.rpc<string>("eth_getTransactionCount", [addressOf(database), "latest"]));
    const first = firstNonce(database);
    if (latest !== first + transactions) throw new Error(`after tx-broadcast the node's nonce is ${latest}, expected ${first + transactions}`);
    raws = sent;
    if (options.update) {
      // Every transaction is mined (the node mines each at once): tx-update records them all.
      const update = await runSto([...stoArgs(node, database), "tx-update"]);
      updateMs.push(update.wallMs);
      const recorded = successes(database, first);
      if (recorded !== transactions) throw new Error(`tx-update recorded ${recorded} successes, expected ${transactions}`);
      receiptLoopMs.push(await bareReceiptLoop(node.url, sent.map((raw) => keccak256(raw))));
    }
    await revert(node, snapshot);
  };
  const directMs: number[] = [];
  const runBare = async () => {
    let snapshot = await node.rpc<string>("evm_snapshot");
    bareMs.push(await bareLoop(node.url, raws));
    await revert(node, snapshot);
    snapshot = await node.rpc<string>("evm_snapshot");
    directMs.push(await bareLoop(node.url, raws, true));
    await revert(node, snapshot);
  };
  for (let run = 0; run < runs; run++) {
    if (run % 2 === 0) {
      await runStoBroadcast(run);
      await runBare();
    } else {
      await runBare();
      await runStoBroadcast(run);
    }
  }
  const ratios = stoMs.map((ms, index) => bareMs[index] / ms);
  const measure: BroadcastMeasure = {
    transactions,
    ratio: median(ratios),
    stoPerSecond: median(stoMs.map((ms) => transactions / (ms / 1000))),
    barePerSecond: median(bareMs.map((ms) => transactions / (ms / 1000))),
  };
  figures.add({
    id: "broadcast.ratio",
    label: `broadcast: sto tx-broadcast of ${transactions.toLocaleString("en-US")} transactions, throughput relative to a bare ethers loop`,
    value: measure.ratio,
    unit: "×",
    digits: 2,
    target: { op: ">=", bound: 0.9 },
    note: runsNote(ratios, 2),
  });
  figures.add({
    id: "broadcast.sto-per-s",
    label: "broadcast: sto tx-broadcast (wall time, process start included)",
    value: measure.stoPerSecond,
    unit: "tx/s",
  });
  figures.add({ id: "broadcast.bare-per-s", label: "broadcast: bare ethers loop (provider.send), same signed bytes", value: measure.barePerSecond, unit: "tx/s" });
  const directRatios = stoMs.map((ms, index) => directMs[index] / ms);
  figures.add({
    id: "broadcast.direct-per-s",
    label: "broadcast: raw sequential transport loop (the provider's _send, no setTimeout before each request)",
    value: median(directMs.map((ms) => transactions / (ms / 1000))),
    unit: "tx/s",
  });
  // No target here: mining each transaction as it comes, Hardhat's node takes one send at a time
  // (it answers a batch's sends all at once and refuses the early nonces), so no client can do
  // better than this loop on it. The target is judged on nodes that take batches (broadcast-nodes.ts).
  figures.add({
    id: "broadcast.transport.hardhat-automine",
    label: "broadcast on Hardhat mining each transaction at once: sto tx-broadcast relative to the raw sequential transport loop",
    value: median(directRatios),
    unit: "×",
    digits: 2,
    note: `${runsNote(directRatios, 2)}; the node takes one send at a time: the target is judged on anvil --block-time 1`,
  });
  if (options.update) {
    const updateRatios = updateMs.map((ms, index) => receiptLoopMs[index] / ms);
    figures.add({
      id: "update.ratio",
      label: `update: sto tx-update of ${transactions.toLocaleString("en-US")} mined transactions (wall time, process start included), speed relative to a sequential eth_getTransactionReceipt loop`,
      value: median(updateRatios),
      unit: "×",
      digits: 2,
      target: { op: ">=", bound: 5 },
      note: runsNote(updateRatios, 2),
    });
    figures.add({ id: "update.sto-per-s", label: "update: sto tx-update", value: median(updateMs.map((ms) => transactions / (ms / 1000))), unit: "tx/s" });
    figures.add({ id: "update.loop-per-s", label: "update: sequential receipt loop", value: median(receiptLoopMs.map((ms) => transactions / (ms / 1000))), unit: "tx/s" });
  }
  return measure;
}

/** What a tx-update is compared with: one eth_getTransactionReceipt at a time, awaiting each. */
async function bareReceiptLoop(url: string, hashes: readonly string[]): Promise<number> {
  const network = Network.from(LOCAL_CHAIN_ID);
  const provider = new JsonRpcProvider(url, network, { staticNetwork: network, batchMaxCount: 1, cacheTimeout: -1 });
  try {
    const started = performance.now();
    for (const hash of hashes) {
      if ((await provider.send("eth_getTransactionReceipt", [hash])) === null) throw new Error(`no receipt for ${hash}`);
    }
    return performance.now() - started;
  } finally {
    provider.destroy();
  }
}

/** Rows recorded as success from this nonce on. */
function successes(database: string, fromNonce: number): number {
  const db = new Database(database, { readonly: true });
  try {
    return db.prepare("SELECT count(*) FROM prepared_transactions WHERE status = 'success' AND nonce >= ?").pluck().get(fromNonce) as number;
  } finally {
    db.close();
  }
}

async function revert(node: NodeProcess, snapshot: string): Promise<void> {
  if (!(await node.rpc<boolean>("evm_revert", [snapshot]))) throw new Error(`evm_revert ${snapshot} failed`);
}

export function addressOf(database: string): string {
  const db = new Database(database, { readonly: true });
  try {
    return db.prepare("SELECT from_address FROM prepared_transactions ORDER BY nonce DESC LIMIT 1").pluck().get() as string;
  } finally {
    db.close();
  }
}

export function firstNonce(database: string): number {
  const db = new Database(database, { readonly: true });
  try {
    return db.prepare("SELECT MIN(nonce) FROM prepared_transactions WHERE status <> 'success'").pluck().get() as number;
  } finally {
    db.close();
  }
}
