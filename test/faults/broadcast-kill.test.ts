import fs from "node:fs";
import path from "node:path";
import { JsonRpcProvider, Network } from "ethers";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEPLOYER, startWorld, worldOnNode, type E2eWorld } from "../helpers/e2e";
import { startAnvil } from "../helpers/foundry";
import {
  copyDatabase,
  describeKill,
  expectEveryNonceMinedOnceAsRecorded,
  expectLedgerMatchesChain,
  faultSeed,
  readRows,
  runAndKill,
  runOk,
  settle,
  trialCount,
  type KillPlan,
} from "../helpers/faults";
import { copyPostgresDatabase, freshPostgresDatabase, queryPostgres } from "../helpers/postgres";
import { startRpcProxy, type RpcProxy } from "../helpers/rpc-proxy";
import { seededRandom } from "../helpers/random";

/**
 * SIGKILL at random instants of tx-broadcast, then re-runs until it finishes: whatever the instant,
 * every nonce ends with exactly one mined transaction and it is the one the database records.
 *
 * Each trial starts from the same chain snapshot and a copy of the same prepared database (13
 * transactions: three issuances and a KYC deployment), kills 1-3 runs, then lets one finish.
 */
const TRIALS = trialCount(8);
const ISSUES = ["Alpha", "Beta", "Gamma"].map((name) => ["issue", `--symbol=${name.slice(0, 3).toUpperCase()}`, `--name=${name} corp`, "--url=https://x.example", "--amount=1000"]);

describe("tx-broadcast killed at random instants", () => {
  let world: E2eWorld;
  let proxy: RpcProxy;
  let provider: JsonRpcProvider;
  let template: string;
  let transactions: number;
  let snapshot: string;
  let cleanRunMs: number;

  const revertChain = async (): Promise<void> => {
    expect(await provider.send("evm_revert", [snapshot])).toBe(true);
    snapshot = await provider.send("evm_snapshot", []);
  };

  beforeAll(async () => {
    world = await startWorld();
    proxy = await startRpcProxy(world.chain.url);
    provider = new JsonRpcProvider(world.chain.url, Network.from(31337), { staticNetwork: true, cacheTimeout: -1 });
    await world.ok(["kyc-deploy"]);
    for (const issue of ISSUES) await world.ok(issue);
    template = path.join(world.dir, "prepared.sqlite");
    copyDatabase(world.databaseFile, template);
    transactions = world.query<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions")[0].n;
    snapshot = await provider.send("evm_snapshot", []);
    // How long an undisturbed run takes bounds the random instants.
    const calibration = path.join(world.dir, "calibration.sqlite");
    copyDatabase(template, calibration);
    const started = Date.now();
    await runOk(["--database-file", calibration, "--ethereum-node-url", proxy.url, "tx-broadcast"], { cwd: world.dir });
    cleanRunMs = Date.now() - started;
  });
  // Each test starts from the prepared chain, whichever ran before it (the Hardhat test leaves its
  // transactions mined: in that order the trials' first run found its nonces used, exit 4).
  beforeEach(revertChain);
  afterAll(async () => {
    provider?.destroy();
    await proxy?.close();
    await world?.close();
  });

  it(`${TRIALS} trials: each re-run finishes and every nonce is mined once, as recorded`, async () => {
    const seed = faultSeed("tx-broadcast kill trials");
    const next = seededRandom(seed);
    const log: string[] = [];
    const pick = (): KillPlan => {
      const roll = next();
      if (roll < 0.3) return { kind: "after-ms", ms: Math.round(next() * cleanRunMs * 1.1) };
      if (roll < 0.7) {
        return { kind: "on-request", method: "eth_sendRawTransaction", index: 1 + Math.floor(next() * transactions), phase: next() < 0.5 ? "received" : "answered" };
      }
      if (roll < 0.8) return { kind: "on-request", method: "*", index: 1 + Math.floor(next() * 12), phase: "received" };
      return next() < 0.4
        ? { kind: "fault-point", setting: "after-sign" }
        : { kind: "fault-point", setting: `after-send:${1 + Math.floor(next() * transactions)}` };
    };
    try {
      for (let trial = 0; trial < TRIALS; trial++) {
        const database = path.join(world.dir, `trial-${trial}.sqlite`);
        copyDatabase(template, database);
        const args = ["--database-file", database, "--ethereum-node-url", proxy.url];
        const kills = 1 + Math.floor(next() * 3);
        for (let kill = 0; kill < kills; kill++) {
          const plan = pick();
          const result = await runAndKill([...args, "tx-broadcast"], plan, { proxy, cwd: world.dir });
          log.push(`trial ${trial}: ${describeKill(plan)} -> ${result.signal ?? `exit ${result.code}`}`);
          // Killed, or finished: never an error.
          if (result.signal !== "SIGKILL") expect(result.code, result.stderr).toBe(0);
        }
        await runOk([...args, "tx-broadcast"], { cwd: world.dir });
        await runOk([...args, "tx-update"], { cwd: world.dir });
        await settle(provider);
        await expectEveryNonceMinedOnceAsRecorded(provider, database, DEPLOYER, 0);
        await revertChain();
        for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(database + suffix, { force: true });
      }
    } catch (error) {
      throw new Error(`seed ${seed} (replay with STO_FAULT_SEED=${seed}):\n${log.join("\n")}\n${(error as Error).message}`);
    }
    const killed = log.filter((line) => line.endsWith("SIGKILL")).length;
    expect(killed).toBeGreaterThan(TRIALS / 2);
    console.log(`tx-broadcast kill trials: ${TRIALS}, runs killed: ${killed}, seed ${seed}`);
  }, 60_000 + TRIALS * 30_000);

  it("Hardhat's node mining each transaction as it comes gets the sends one at a time; disguised as another node, its out-of-order answers to a batch are sent again alone", async () => {
    const sendsOf = () => ({ batches: proxy.stats.methods["batch:eth_sendRawTransaction"] ?? 0, singles: proxy.stats.methods.eth_sendRawTransaction ?? 0, calls: proxy.stats.calls.eth_sendRawTransaction ?? 0 });
    for (const disguised of [false, true]) {
      await revertChain();
      const database = path.join(world.dir, `hardhat-${disguised ? "disguised" : "plain"}.sqlite`);
      copyDatabase(template, database);
      // Disguised: the node says it is geth, so sto sends it batches. Hardhat answers a batch's
      // requests all at once (Promise.all) and, mining each as it comes, answers "Nonce too high"
      // to a nonce whose predecessor it has not seen yet; read as a refusal, that stopped the run (exit 1).
      proxy.setItemAnswerer((request) => (disguised && request.method === "web3_clientVersion" ? { result: "Geth/v1.14.12-stable/linux-amd64/go1.23.4" } : undefined));
      const before = sendsOf();
      try {
        await runOk(["--database-file", database, "--ethereum-node-url", proxy.url, "tx-broadcast"], { cwd: world.dir });
      } finally {
        proxy.setItemAnswerer(undefined);
      }
      const after = sendsOf();
      if (disguised) {
        expect(after.batches - before.batches).toBe(1);
        expect(after.calls - before.calls).toBeGreaterThanOrEqual(transactions);
      } else {
        expect(after.batches - before.batches).toBe(0);
        expect(after.singles - before.singles).toBe(transactions);
      }
      await runOk(["--database-file", database, "--ethereum-node-url", proxy.url, "tx-update"], { cwd: world.dir });
      await settle(provider);
      await expectEveryNonceMinedOnceAsRecorded(provider, database, DEPLOYER, 0);
    }
  }, 90_000);
});

/**
 * The same trials on PostgreSQL, fewer of them (the SQLite trials above cover the pipeline's logic;
 * these cover the PostgreSQL ledger's write-ahead commits and broadcasted marks under random
 * kills): each trial starts from a copy of the prepared database made by the server
 * (CREATE DATABASE ... TEMPLATE) and the same chain snapshot.
 */
describe("tx-broadcast killed at random instants, on PostgreSQL", () => {
  const PG_TRIALS = trialCount(4);
  let world: E2eWorld;
  let proxy: RpcProxy;
  let provider: JsonRpcProvider;
  let transactions: number;
  let snapshot: string;
  let cleanRunMs: number;
  let templateName: string;

  const revertChain = async (): Promise<void> => {
    expect(await provider.send("evm_revert", [snapshot])).toBe(true);
    snapshot = await provider.send("evm_snapshot", []);
  };
  /** A copy of the prepared database: the URL to give sto (its password is in world.databaseEnv) and one to read it with. */
  const copyOfTemplate = async (): Promise<{ flag: string; full: string }> => {
    const full = await copyPostgresDatabase(templateName);
    const flag = new URL(full);
    flag.password = "";
    return { flag: flag.href, full };
  };

  beforeAll(async () => {
    world = await startWorld({ engine: "postgresql" });
    proxy = await startRpcProxy(world.chain.url);
    provider = new JsonRpcProvider(world.chain.url, Network.from(31337), { staticNetwork: true, cacheTimeout: -1 });
    await world.ok(["kyc-deploy"]);
    for (const issue of ISSUES) await world.ok(issue);
    templateName = new URL(world.databaseFlags[1]).pathname.slice(1);
    transactions = (await world.rows<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions"))[0].n;
    snapshot = await provider.send("evm_snapshot", []);
    const calibration = await copyOfTemplate();
    const started = Date.now();
    await runOk(["--database-url", calibration.flag, "--ethereum-node-url", proxy.url, "tx-broadcast"], { cwd: world.dir, env: world.databaseEnv });
    cleanRunMs = Date.now() - started;
    await revertChain();
  });
  afterAll(async () => {
    provider?.destroy();
    await proxy?.close();
    await world?.close();
  });

  it(`${PG_TRIALS} trials: each re-run finishes and every nonce is mined once, as recorded`, async () => {
    const seed = faultSeed("tx-broadcast kill trials on PostgreSQL");
    const next = seededRandom(seed);
    const log: string[] = [];
    const pick = (): KillPlan => {
      const roll = next();
      if (roll < 0.3) return { kind: "after-ms", ms: Math.round(next() * cleanRunMs * 1.1) };
      if (roll < 0.8) {
        return { kind: "on-request", method: "eth_sendRawTransaction", index: 1 + Math.floor(next() * transactions), phase: next() < 0.5 ? "received" : "answered" };
      }
      return next() < 0.4
        ? { kind: "fault-point", setting: "after-sign" }
        : { kind: "fault-point", setting: `after-send:${1 + Math.floor(next() * transactions)}` };
    };
    try {
      for (let trial = 0; trial < PG_TRIALS; trial++) {
        const database = await copyOfTemplate();
        const args = ["--database-url", database.flag, "--ethereum-node-url", proxy.url];
        const options = { cwd: world.dir, env: world.databaseEnv };
        const kills = 1 + Math.floor(next() * 3);
        for (let kill = 0; kill < kills; kill++) {
          const plan = pick();
          const result = await runAndKill([...args, "tx-broadcast"], plan, { proxy, ...options });
          log.push(`trial ${trial}: ${describeKill(plan)} -> ${result.signal ?? `exit ${result.code}`}`);
          if (result.signal !== "SIGKILL") expect(result.code, result.stderr).toBe(0);
        }
        await runOk([...args, "tx-broadcast"], options);
        await runOk([...args, "tx-update"], options);
        await settle(provider);
        await expectLedgerMatchesChain(provider, (sql, ...params) => queryPostgres(database.full, sql, params), DEPLOYER, 0);
        await revertChain();
      }
    } catch (error) {
      throw new Error(`seed ${seed} (replay with STO_FAULT_SEED=${seed}):\n${log.join("\n")}\n${(error as Error).message}`);
    }
    const killed = log.filter((line) => line.endsWith("SIGKILL")).length;
    expect(killed).toBeGreaterThan(PG_TRIALS / 2);
    console.log(`tx-broadcast kill trials on PostgreSQL: ${PG_TRIALS}, runs killed: ${killed}, seed ${seed}`);
  }, 60_000 + PG_TRIALS * 30_000);
});

/**
 * Killed in the middle of a batch of sends, on Foundry's anvil (which takes a batch's sends in
 * order, where Hardhat's node does not: see above), on both engines. The 13 transactions go as one
 * batch; killed as send k reaches the node, the node gets the batch up to it (the proxy's "cut")
 * and nothing after; killed once the node answered send k, it got all of it. Either way nothing is
 * marked sent, every transaction was recorded before the batch left, and a re-run sends the rest:
 * every nonce is mined once, with its one recorded signature.
 */
describe.each(["sqlite", "postgresql"] as const)("tx-broadcast killed in the middle of a batch of sends, on anvil (%s)", (engine) => {
  let world: Omit<E2eWorld, "chain">;
  let proxy: RpcProxy;
  let provider: JsonRpcProvider;
  let transactions: number;
  let snapshot: string;
  /** A fresh copy of the prepared database: the global flags naming it, and a reader of its rows. */
  let copyOfPrepared: () => Promise<{ flags: string[]; rows: <T>(sql: string, ...params: unknown[]) => Promise<T[]> }>;

  beforeAll(async () => {
    const anvil = await startAnvil();
    world = worldOnNode(anvil.url, () => anvil.close(), engine === "postgresql" ? await freshPostgresDatabase() : undefined);
    provider = new JsonRpcProvider(anvil.url, Network.from(31337), { staticNetwork: true, cacheTimeout: -1 });
    await world.ok(["kyc-deploy"]);
    for (const issue of ISSUES) await world.ok(issue);
    transactions = (await world.rows<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions"))[0].n;
    if (engine === "sqlite") {
      const template = path.join(world.dir, "prepared.sqlite");
      copyDatabase(world.databaseFile, template);
      let copies = 0;
      copyOfPrepared = async () => {
        const file = path.join(world.dir, `copy-${++copies}.sqlite`);
        copyDatabase(template, file);
        return { flags: ["--database-file", file], rows: async (sql, ...params) => readRows(file, sql, ...params) };
      };
    } else {
      const templateName = new URL(world.databaseFlags[1]).pathname.slice(1);
      copyOfPrepared = async () => {
        const full = await copyPostgresDatabase(templateName);
        const flag = new URL(full);
        flag.password = "";
        return { flags: ["--database-url", flag.href], rows: (sql, ...params) => queryPostgres(full, sql, params) };
      };
    }
    proxy = await startRpcProxy(anvil.url);
    snapshot = await provider.send("evm_snapshot", []);
  }, 120_000);
  afterAll(async () => {
    provider?.destroy();
    await proxy?.close();
    await world?.close();
  });

  it.each([
    { index: 1, phase: "received" as const },
    { index: 6, phase: "received" as const },
    { index: 13, phase: "received" as const },
    { index: 7, phase: "answered" as const },
  ])("send $index $phase: the re-run sends the rest, every nonce mined once", async ({ index, phase }) => {
    expect(await provider.send("evm_revert", [snapshot])).toBe(true);
    snapshot = await provider.send("evm_snapshot", []);
    const database = await copyOfPrepared();
    const args = [...database.flags, "--ethereum-node-url", proxy.url];
    const options = { cwd: world.dir, env: world.databaseEnv };
    const batchesBefore = proxy.stats.methods["batch:eth_sendRawTransaction"] ?? 0;
    const cutsBefore = proxy.stats.faults.batchCut ?? 0;
    const result = await runAndKill([...args, "tx-broadcast"], { kind: "on-request", method: "eth_sendRawTransaction", index, phase }, { proxy, ...options });
    expect(result.signal, result.stderr).toBe("SIGKILL");
    // One batch held all 13 sends, and the kill landed inside it.
    expect((proxy.stats.methods["batch:eth_sendRawTransaction"] ?? 0) - batchesBefore).toBe(1);
    expect((proxy.stats.faults.batchCut ?? 0) - cutsBefore).toBe(phase === "received" ? 1 : 0);
    await settle(provider);
    expect(await provider.getTransactionCount(DEPLOYER, "latest")).toBe(phase === "received" ? index : transactions);
    // Every transaction was recorded (signed) before the batch left; none is marked sent.
    const rows = await database.rows<{ status: string; raw_transaction: string | null }>("SELECT status, raw_transaction FROM prepared_transactions ORDER BY nonce");
    expect(rows.map((row) => row.status)).toEqual(rows.map(() => "waiting"));
    expect(rows.every((row) => row.raw_transaction !== null)).toBe(true);

    await runOk([...args, "tx-broadcast"], options);
    await runOk([...args, "tx-update"], options);
    await settle(provider);
    await expectLedgerMatchesChain(provider, database.rows, DEPLOYER, 0);
  }, 60_000);
});
