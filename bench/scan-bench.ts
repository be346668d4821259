/**
 * Scan and cap table benchmark: `npx tsx bench/scan-bench.ts [events] [holders]`.
 *
 * Starts `sto node` in its own process (as a user would run it), creates a SecurityToken with
 * `events` Transfer events (batch transfers of 400) spread over `holders` addresses, then times the
 * real CLI end to end: `sto token-scan` into a fresh database, and `sto cap-table` at a past block
 * (plus the balances query alone). BENCH_KEEP=1 stops after creating the events and keeps the node
 * running, to time other runs against it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Contract, ContractFactory, JsonRpcProvider, Network, Wallet } from "ethers";
import { DEVELOPMENT_PRIVATE_KEY, LOCAL_CHAIN_ID } from "../src/chain/local-node";
import { balancesAtBlock } from "../src/captable/queries";
import { ContractArtifacts } from "../src/contracts/artifacts";
import { openDatabase } from "../src/db/database";
import { random, randomAddresses } from "../test/helpers/scan-fixtures";

const STO = path.join(__dirname, "..", "bin", "sto");

async function startNode(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [STO, "node", "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(/(http:\/\/127\.0\.0\.1:\d+)/);
      if (match) resolve(match[1]);
    });
    child.on("exit", () => reject(new Error(`sto node exited: ${output}`)));
  });
  return { url, child };
}

function run(args: string[]): Promise<{ ms: number; stdout: string; code: number | null }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [STO, ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ ms: performance.now() - started, stdout, code }));
  });
}

async function main(): Promise<void> {
  const events = Number(process.argv[2] ?? 100_000);
  const holderCount = Number(process.argv[3] ?? 10_000);
  const perTx = 400;
  const { url, child } = await startNode();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sto-bench-"));
  try {
    const provider = new JsonRpcProvider(url, Network.from(LOCAL_CHAIN_ID), {
      staticNetwork: Network.from(LOCAL_CHAIN_ID),
      cacheTimeout: -1,
      batchMaxCount: 1,
      pollingInterval: 20,
    });
    const issuer = new Wallet(DEVELOPMENT_PRIVATE_KEY, provider);
    const artifacts = new ContractArtifacts();
    const deploy = async (name: string, args: unknown[]) => {
      const artifact = artifacts.get(name);
      const contract = await new ContractFactory(artifact.abi, artifact.bytecode, issuer).deploy(...args);
      await contract.waitForDeployment();
      return new Contract(await contract.getAddress(), artifact.abi, issuer);
    };
    const token = await deploy("SecurityToken", ["Bench", "BNC", "https://example.com"]);
    const agent = await deploy("UnrestrictedTransferAgent", []);
    await (await token.setTransferVerifier(await agent.getAddress())).wait();
    await (await token.issueTokens(10n ** 30n)).wait();
    const holders = randomAddresses(holderCount, random(1));
    let created = 0;
    let started = performance.now();
    const pastBlocks: number[] = [];
    while (created < events) {
      const count = Math.min(perTx, events - created);
      const receivers = Array.from({ length: count }, (_, index) => holders[(created + index) % holders.length]);
      const values = receivers.map((_, index) => BigInt(index + 1) * 10n ** 15n);
      await (await token.batchTransfer(receivers, values, { gasLimit: 29_000_000 })).wait();
      created += count;
      if (pastBlocks.length < 10 && created >= (events / 10) * (pastBlocks.length + 1)) pastBlocks.push(await provider.getBlockNumber());
    }
    console.log(`created ${created} events in ${((performance.now() - started) / 1000).toFixed(1)} s, chain at block ${await provider.getBlockNumber()}`);
    provider.destroy();

    const database = path.join(dir, "bench.sqlite");
    const base = ["--ethereum-node-url", url, "--database-file", database];
    const tokenAddress = await token.getAddress();
    if (process.env.BENCH_KEEP) {
      console.log(`node ${url}, token ${tokenAddress}, past block ${pastBlocks[4]}; Ctrl+C to stop`);
      await new Promise(() => undefined);
    }
    const scan = await run([...base, "--json", "token-scan", "--token-address", tokenAddress]);
    const result = JSON.parse(scan.stdout) as { events: number; chunks: number; elapsedMs: number };
    console.log(
      `sto token-scan: ${result.events} events in ${result.chunks} chunks, ${(scan.ms / 1000).toFixed(2)} s wall ` +
        `(${Math.round(result.events / (scan.ms / 1000))} events/s end to end, ${Math.round(result.events / (result.elapsedMs / 1000))} events/s in the scanner)`,
    );

    const atBlock = pastBlocks[4];
    const db = openDatabase(database);
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < 5; i++) {
      started = performance.now();
      rows = balancesAtBlock(db, 1, atBlock, false).length;
      times.push(performance.now() - started);
    }
    db.close();
    console.log(`balances query at block ${atBlock}: ${rows} holders, best ${Math.min(...times).toFixed(1)} ms`);
    for (const format of ["table", "csv", "json"]) {
      const walls: number[] = [];
      for (let i = 0; i < 3; i++) walls.push((await run([...base, "cap-table", "--token-address", tokenAddress, "--at-block", String(atBlock), "--format", format])).ms);
      console.log(`sto cap-table --at-block --format ${format}: best ${Math.min(...walls).toFixed(0)} ms wall`);
    }
    const version = await run(["version"]);
    console.log(`(sto version, for the start-up cost: ${version.ms.toFixed(0)} ms)`);
  } finally {
    child.kill("SIGINT");
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
