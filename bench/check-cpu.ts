/**
 * Where the node's CPU goes in the scan's check against the chain: reads balanceOf of every holder
 * of the scan benchmark's token (200,001 events, 10,001 holders) in several ways and measures the
 * node process's CPU time (/proc) of each, in alternating order.
 *
 *   tsx bench/check-cpu.ts serve STATE.json [--anvil] [--events N] [--holders H]
 *                                                      builds the token (200,000 transfers and the mint, or N) on
 *                                                      `sto node` (or anvil), writes STATE.json, keeps the node up
 *                                                      (Ctrl-C ends it)
 *   tsx bench/check-cpu.ts probe STATE.json [--runs 5] [--variants a,b]
 *                                                      each way of reading once a round, alternating order;
 *                                                      medians of the node's CPU (variants: dl<size>x<parallel>-<tag>
 *                                                      with tag number, latest or hash; old<size>x<parallel>-<tag>
 *                                                      with a saved artifact of the ABI-encoded AccountReads in
 *                                                      STO_OLD_READS; batch100x4-<tag>; supply200-<tag>; tiny<n>; …)
 *   tsx bench/check-cpu.ts scans STATE.json LABEL=BIN[,ENV=VALUE…] … [--runs 4]
 *                                                      whole `sto token-scan`s of the token with each build in turn
 *                                                      (a label starting "nv" scans with --no-verify): node CPU,
 *                                                      sto CPU and wall time
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { deploylessBytecode, encodeAccountReadsArguments, BalanceReader } from "../src/chain/balances";
import { JsonRpcTransport, type NodeClient } from "../src/chain/rpc";
import { chunks, inParallel } from "../src/chain/batched";
import { AbiCoder } from "ethers";
import { median } from "./lib/figures";
import { bareGetLogs } from "./workloads/scan";
import { runSto, setMeasuredSto } from "./lib/sto-cli";
import { removeDatabase } from "./workloads/distribution";
import { cpuMsOf, startAnvilProcess, startNodeProcess } from "./lib/node-process";
import { builderWallet, holderAddresses, TokenBuilder, type BuiltToken } from "./lib/tokens";

interface State {
  url: string;
  pid: number;
  token: BuiltToken;
  holders: string[];
}

async function serve(stateFile: string, anvil: boolean, events: number, holderCount: number): Promise<void> {
  const node = anvil ? await startAnvilProcess() : await startNodeProcess();
  const pid = node.child.pid as number;
  const stop = () => node.stop();
  const token = await new TokenBuilder(node, 1).build(events, holderCount, 1);
  const holders = [...holderAddresses(holderCount, 1), builderWallet(1).address.toLowerCase()];
  fs.writeFileSync(stateFile, JSON.stringify({ url: node.url, pid, token, holders } satisfies State));
  console.log(`token ${token.address}: ${token.events} events, blocks ${token.createdAt}-${token.lastBlock}; node ${node.url} (pid ${pid})`);
  await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
  await stop();
}

const BALANCE_OF = "0x70a08231";

type Tag = "number" | "latest" | "hash";

/** Every holder's balance, deployless, `size` a call, `parallel` in flight, at the block given by `tag`. */
async function deployless(node: NodeClient, state: State, size: number, parallel: number, tag: unknown, target = state.token.address): Promise<bigint[]> {
  const read = await inParallel(chunks(state.holders, size), parallel, async (slice) => {
    const data = `${deploylessBytecode("AccountReads")}${encodeAccountReadsArguments(target, BALANCE_OF, 1, slice)}`;
    const answer = await node.call<string>("eth_call", [{ data }, tag]);
    const slots = 2 + slice.length * 2;
    return slice.map((_, index) => BigInt(`0x${answer.slice(slots + index * 64, slots + (index + 1) * 64)}`));
  });
  return read.flat();
}

/** The same with the ABI-encoded AccountReads of before (answers first, then statuses), from a saved artifact (STO_OLD_READS). */
async function deploylessOld(node: NodeClient, state: State, size: number, parallel: number, tag: unknown): Promise<bigint[]> {
  const old = (JSON.parse(fs.readFileSync(process.env.STO_OLD_READS ?? "/tmp/AccountReads-old.json", "utf8")) as { bytecode: string }).bytecode;
  const read = await inParallel(chunks(state.holders, size), parallel, async (slice) => {
    const data = `${old}${AbiCoder.defaultAbiCoder().encode(["address", "bytes4", "uint256", "address[]"], [state.token.address, BALANCE_OF, 1, slice]).slice(2)}`;
    const answer = await node.call<string>("eth_call", [{ data }, tag]);
    return slice.map((_, index) => BigInt(`0x${answer.slice(2 + index * 64, 2 + (index + 1) * 64)}`));
  });
  return read.flat();
}

async function batches(node: NodeClient, state: State, size: number, parallel: number, tag: unknown): Promise<bigint[]> {
  const read = await inParallel(chunks(state.holders, size), parallel, (slice) =>
    node.batch<string>(slice.map((holder) => ({ method: "eth_call", params: [{ to: state.token.address, data: `${BALANCE_OF}${holder.slice(2).padStart(64, "0")}` }, tag] }))),
  );
  return read.flat().map((answer) => (typeof answer === "string" ? BigInt(answer) : -1n));
}

/** One `sto token-scan` of the token into a fresh database with `bin`: sto's CPU, the node's, the wall time. */
async function scanOnce(state: State, bin: string, dir: string, label: string, env: Record<string, string>, verify: boolean): Promise<{ stoMs: number; nodeMs: number; wallMs: number; checkMs: number; requests: number }> {
  setMeasuredSto(bin);
  const database = path.join(dir, `${label}.sqlite`);
  const before = cpuMsOf(state.pid) ?? 0;
  const run = await runSto(
    ["--ethereum-node-url", state.url, "--database-file", database, "--json", "token-scan", "--token-address", state.token.address, "--end-block", String(state.token.lastBlock), ...(verify ? [] : ["--no-verify"])],
    env,
  );
  const nodeMs = (cpuMsOf(state.pid) ?? 0) - before;
  const result = JSON.parse(run.stdout) as { events: number; verification: { status: string; elapsedMs: number; requests: number; method: string } | null };
  if (result.events !== state.token.events) throw new Error(`${label}: stored ${result.events} events`);
  if (verify && result.verification?.status !== "match") throw new Error(`${label}: check ${result.verification?.status}`);
  removeDatabase(database);
  return { stoMs: run.cpuMs, nodeMs, wallMs: run.wallMs, checkMs: result.verification?.elapsedMs ?? 0, requests: result.verification?.requests ?? 0 };
}

/** Alternating scans: configurations "label=BIN[,ENV=VALUE…]" (ENV pairs for the sto process), `--no-verify` as label "nv=BIN". */
/** "NAME=VALUE" split at the first "=" only (split("=", 2) dropped the rest of an ENV=VALUE pair's value). */
function atFirstEquals(text: string): [string, string] {
  const at = text.indexOf("=");
  if (at < 0) throw new Error(`"${text}": expected NAME=VALUE`);
  return [text.slice(0, at), text.slice(at + 1)];
}

async function scans(state: State, configs: string[], runs: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sto-check-cpu-"));
  const parsed = configs.map((config) => {
    const [label, rest] = atFirstEquals(config);
    const [bin, ...pairs] = rest.split(",");
    const env = Object.fromEntries(pairs.map(atFirstEquals));
    return { label, bin: path.resolve(bin), env, verify: !label.startsWith("nv") };
  });
  const rows: Record<string, { stoMs: number; nodeMs: number; wallMs: number; checkMs: number; requests: number }[]> = {};
  for (let run = 0; run < runs; run++) {
    const order = run % 2 === 0 ? parsed : [...parsed].reverse();
    for (const config of order) {
      const measured = await scanOnce(state, config.bin, dir, `${config.label}-${run}`, config.env, config.verify);
      (rows[config.label] ??= []).push(measured);
    }
    // The benchmark's baseline in the same round: the bare eth_getLogs loop.
    const nodeBefore = cpuMsOf(state.pid) ?? 0;
    const bare = await bareGetLogs({ url: state.url, cpuMs: () => undefined }, state.token);
    (rows.bare ??= []).push({ stoMs: 0, nodeMs: (cpuMsOf(state.pid) ?? 0) - nodeBefore, wallMs: bare.ms, checkMs: 0, requests: bare.requests });
    console.log(`round ${run + 1} (load ${os.loadavg()[0].toFixed(1)}): ${parsed.map(({ label }) => { const m = rows[label].at(-1); return `${label} node ${m?.nodeMs} sto ${m?.stoMs} wall ${Math.round(m?.wallMs ?? 0)}`; }).join("; ")}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  for (const { label } of parsed) {
    const ratios = rows[label].map((row, index) => row.wallMs / rows.bare[index].wallMs);
    console.log(`${label}: scan / bare eth_getLogs ${median(ratios).toFixed(2)} × (${ratios.map((ratio) => ratio.toFixed(2)).join(", ")})`);
  }
  for (const { label } of [...parsed, { label: "bare" }]) {
    const list = rows[label];
    const med = (pick: (row: (typeof list)[number]) => number) => Math.round(median(list.map(pick)));
    console.log(`${label}: node CPU ${med((row) => row.nodeMs)} ms (${list.map((row) => row.nodeMs).join(", ")}); sto CPU ${med((row) => row.stoMs)} ms; wall ${med((row) => row.wallMs)} ms (${list.map((row) => Math.round(row.wallMs)).join(", ")}); check ${med((row) => row.checkMs)} ms after the last chunk; ${list[0].requests} requests`);
  }
}

/** System CPU time of a process, in ms (/proc/PID/stat field 15). */
function sysMsOf(pid: number): number {
  return Number(fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")[12]) * 10;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { runs: { type: "string", default: "5" }, variants: { type: "string" }, anvil: { type: "boolean", default: false }, events: { type: "string", default: "200000" }, holders: { type: "string", default: "10000" } },
  });
  const [command, stateFile] = positionals;
  if (command === "serve" && stateFile) return serve(stateFile, values.anvil, Number(values.events), Number(values.holders));
  if (command === "scans" && stateFile) return scans(JSON.parse(fs.readFileSync(stateFile, "utf8")) as State, positionals.slice(2), Number(values.runs));
  if (command !== "probe" || !stateFile) throw new Error("usage: tsx bench/check-cpu.ts serve STATE.json [--anvil] | probe STATE.json [--runs N] [--variants a,b]");
  const state = JSON.parse(fs.readFileSync(stateFile, "utf8")) as State;
  const node = new JsonRpcTransport(state.url);
  const block = state.token.lastBlock;
  const head = Number(await node.call<string>("eth_blockNumber", []));
  const hash = (await node.call<{ hash: string }>("eth_getBlockByNumber", [`0x${block.toString(16)}`, false])).hash;
  console.log(`head ${head}, token's last block ${block}`);
  const tags: Record<Tag, unknown> = { number: `0x${block.toString(16)}`, latest: "latest", hash: { blockHash: hash } };
  const variants: Record<string, () => Promise<bigint[] | undefined>> = {};
  for (const tag of ["number", "latest", "hash"] as Tag[]) {
    for (const [size, parallel] of [[500, 2], [744, 1], [744, 4], [250, 2], [100, 2]]) {
      variants[`dl${size}x${parallel}-${tag}`] = () => deployless(node, state, size, parallel, tags[tag]);
    }
    variants[`old500x2-${tag}`] = () => deploylessOld(node, state, 500, 2, tags[tag]);
    variants[`old744x1-${tag}`] = () => deploylessOld(node, state, 744, 1, tags[tag]);
    variants[`batch100x4-${tag}`] = () => batches(node, state, 100, 4, tags[tag]);
    // The same calls to an address without code: what the constructor, calldata and answer cost without the token.
    variants[`dlempty744x1-${tag}`] = async () => (await deployless(node, state, 744, 1, tags[tag], "0x000000000000000000000000000000000000dEaD"), undefined);
  }
  // 200 single eth_calls of totalSupply() one after another: a call's fixed cost.
  for (const tag of ["number", "latest"] as Tag[]) {
    variants[`supply200-${tag}`] = async () => {
      for (let i = 0; i < 200; i++) await node.call<string>("eth_call", [{ to: state.token.address, data: "0x18160ddd" }, tags[tag]]);
      return undefined;
    };
    variants[`blocknumber200-${tag}`] = async () => {
      for (let i = 0; i < 200; i++) await node.call<string>("eth_blockNumber", []);
      return undefined;
    };
  }
  // 50 deployless calls of 1, 10 or 100 accounts: how a deployless call's cost grows with its size.
  for (const size of [1, 10, 50, 100]) {
    variants[`tiny${size}`] = async () => {
      for (let i = 0; i < 50; i++) await deployless(node, { ...state, holders: state.holders.slice(i * size, (i + 1) * size) }, size, 1, tags.number);
      return undefined;
    };
  }
  // The bare eth_getLogs loop alone, and with the reads going on beside it (as in a scan): does the
  // node pay more for the two together than for each alone?
  variants.logs = async () => (await bareGetLogs({ url: state.url, cpuMs: () => undefined }, state.token), undefined);
  variants["logs+dl500x2"] = async () => {
    const [, read] = await Promise.all([bareGetLogs({ url: state.url, cpuMs: () => undefined }, state.token), deployless(node, state, 500, 2, tags.number)]);
    return read;
  };
  variants.reader = async () => {
    const read = await new BalanceReader(node, state.token.address, block).read(state.holders);
    return state.holders.map((holder) => read.get(holder) ?? -1n);
  };
  const chosen = values.variants ? values.variants.split(",") : ["dl500x2-number", "dl500x2-latest"];
  // Any size and parallelism: dl<size>x<parallel>-<tag>, old<size>x<parallel>-<tag>.
  for (const name of chosen) {
    const match = /^(dl|old)(\d+)x(\d+)-(number|latest|hash)$/.exec(name);
    if (!match || variants[name]) continue;
    const [, kind, size, parallel, tag] = match;
    variants[name] = () => (kind === "dl" ? deployless : deploylessOld)(node, state, Number(size), Number(parallel), tags[tag as Tag]);
  }
  for (const name of chosen) if (!variants[name]) throw new Error(`unknown variant ${name}: ${Object.keys(variants).join(", ")}`);
  const reference = await variants["dl744x1-number"]();
  const cpu: Record<string, number[]> = {};
  const wall: Record<string, number[]> = {};
  const sys: Record<string, number[]> = {};
  for (let run = 0; run < Number(values.runs); run++) {
    const order = run % 2 === 0 ? chosen : [...chosen].reverse();
    for (const name of order) {
      const before = cpuMsOf(state.pid) as number;
      const sysBefore = sysMsOf(state.pid);
      const started = performance.now();
      const read = await variants[name]();
      const ms = performance.now() - started;
      const used = (cpuMsOf(state.pid) as number) - before;
      (sys[name] ??= []).push(sysMsOf(state.pid) - sysBefore);
      const wrong = read ? read.findIndex((value, index) => value !== reference?.[index]) : -1;
      if (wrong >= 0) throw new Error(`${name}: answer ${wrong} (${state.holders[wrong]}) ${read?.[wrong]} differs from ${reference?.[wrong]}`);
      (cpu[name] ??= []).push(used);
      (wall[name] ??= []).push(ms);
    }
    console.log(`round ${run + 1} (load ${os.loadavg()[0].toFixed(1)}): ${chosen.map((name) => `${name} ${cpu[name].at(-1)} ms`).join(", ")}`);
  }
  for (const name of chosen) {
    console.log(`${name}: node CPU median ${median(cpu[name])} ms (${cpu[name].join(", ")}), of which system ${median(sys[name])} ms; wall ${Math.round(median(wall[name]))} ms`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
