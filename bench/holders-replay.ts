/**
 * The growth scan's writes without a node: the chunks of the 100,001-event growth token (one issuance,
 * then batches of 480 transfers from the issuer to new holders, one batch a block, 5,000 events a
 * chunk) written through a build's SqliteScanStore into a fresh database, and the CPU of the writes
 * (process.cpuUsage around them; the start and the events' making excluded).
 *
 *   tsx bench/holders-replay.ts DIST_DIR [DIST_DIR…] [--runs 5] [--holders 100000] [--transfers HOLDERS]
 *
 * (--holders 10000 --transfers 200000: the 200,001-event scan token's shape.)
 *
 * Each DIST_DIR is a build's dist/ (the scan store and database of that build); each run is a child
 * process, the builds alternating, and the medians are printed.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { median } from "./lib/figures";
import { holderAddresses } from "./lib/tokens";

const NEW_HOLDERS_PER_BLOCK = 480;
const EXISTING_HOLDERS_PER_BLOCK = 1440;
const EVENTS_PER_CHUNK = Number(process.env.REPLAY_CHUNK ?? 5_000);

async function child(dist: string, holders: number, transfers: number): Promise<void> {
  const { openDatabase } = require(path.resolve(dist, "db/database.js"));
  const { SqliteScanDatabase } = require(path.resolve(dist, "scan/store.js"));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sto-holders-replay-"));
  const db = openDatabase(path.join(dir, "replay.sqlite"));
  const scan = new SqliteScanDatabase(db);
  const token = await scan.createToken({ network: "bench", chainId: 31337, address: "0x" + "ab".repeat(20), startBlock: 1, startsAtCreation: true });
  const store = scan.tokenStore(token.id);
  const issuer = "0x" + "11".repeat(20);
  const zero = "0x" + "00".repeat(20);
  const receivers = holderAddresses(holders, 102);
  type Event = { blockNumber: number; blockHash: string; logIndex: number; txHash: string; from: string; to: string; value: bigint };
  const events: Event[] = [{ blockNumber: 2, blockHash: "0x" + "22".repeat(32), logIndex: 0, txHash: "0x" + "33".repeat(32), from: zero, to: issuer, value: 10n ** 40n }];
  // As bench/lib/tokens.ts builds it: a batch a block, first to each new holder, then round-robin.
  let block = 2;
  let logIndex = 0;
  for (let sent = 0; sent < transfers; sent++) {
    const perBlock = sent < holders ? NEW_HOLDERS_PER_BLOCK : EXISTING_HOLDERS_PER_BLOCK;
    if (sent === 0 || sent === holders || logIndex === perBlock) {
      block++;
      logIndex = 0;
    }
    const hash = block.toString(16).padStart(64, "0");
    events.push({ blockNumber: block, blockHash: "0x" + hash, logIndex: logIndex++, txHash: "0x" + hash.slice(0, 60) + "beef", from: issuer, to: receivers[sent % holders], value: BigInt(1 + (sent % 997)) * 10n ** 15n });
  }
  const chunks: { events: Event[]; from: number; to: number }[] = [];
  let start = 0;
  let from = 1;
  while (start < events.length) {
    let end = Math.min(start + EVENTS_PER_CHUNK, events.length);
    // Whole blocks only.
    while (end < events.length && events[end].blockNumber === events[end - 1].blockNumber) end++;
    const to = end < events.length ? events[end].blockNumber - 1 : block;
    chunks.push({ events: events.slice(start, end), from, to });
    from = to + 1;
    start = end;
  }
  // An experiment's SQL run before the writes (e.g. REPLAY_SQL="DROP INDEX token_holders_address").
  if (process.env.REPLAY_SQL) db.sqlite.exec(process.env.REPLAY_SQL);
  const before = process.cpuUsage();
  await scan.withScanDurability(async () => {
    for (const chunk of chunks) {
      const blocks = [...new Set(chunk.events.map((event) => event.blockNumber))].map((number) => ({ blockNumber: number, blockHash: "0x" + number.toString(16).padStart(64, "0"), timestamp: number }));
      await store.writeChunk({ expectedScannedTo: chunk.from - 1, toBlock: chunk.to, events: chunk.events, blocks }, new Set<string>());
    }
  });
  // Closing checkpoints the write-ahead log into the database: part of a scan's cost, as in `sto token-scan`.
  await db.close();
  const used = process.cpuUsage(before);
  const reopened = openDatabase(path.join(dir, "replay.sqlite"));
  const check = reopened.sqlite.prepare("SELECT (SELECT COUNT(*) FROM token_holders) AS holders, (SELECT COUNT(*) FROM balance_changes) AS changes, (SELECT MAX(id) FROM token_holders) AS maxId").get();
  await reopened.close();
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify({ cpuMs: Math.round((used.user + used.system) / 1000), sysMs: Math.round(used.system / 1000), ...check }));
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { runs: { type: "string" }, holders: { type: "string" }, transfers: { type: "string" }, child: { type: "boolean" } } });
  const holders = Number(values.holders ?? 100_000);
  const transfers = Number(values.transfers ?? holders);
  if (values.child) return child(positionals[0], holders, transfers);
  const runs = Number(values.runs ?? 5);
  const results = new Map<string, number[]>(positionals.map((dist) => [dist, []]));
  for (let round = 0; round < runs; round++) {
    const order = round % 2 === 0 ? positionals : [...positionals].reverse();
    for (const dist of order) {
      const out = execFileSync(process.execPath, [...process.execArgv, __filename, "--child", dist, "--holders", String(holders), "--transfers", String(transfers)], { encoding: "utf8" });
      const result = JSON.parse(out.trim().split("\n").pop() as string) as { cpuMs: number };
      (results.get(dist) as number[]).push(result.cpuMs);
      console.log(`round ${round + 1} ${dist}: ${out.trim()} (load ${os.loadavg()[0].toFixed(1)})`);
    }
  }
  for (const [dist, cpu] of results) console.log(`${dist}: median ${median(cpu)} ms (${cpu.join(", ")})`);
}

void main();
