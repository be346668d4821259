import fs from "node:fs";
import path from "node:path";
import { JsonRpcProvider, Network } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEPLOYER, startWorld, type E2eWorld } from "../helpers/e2e";
import {
  copyDatabase,
  describeKill,
  expectEveryNonceMinedOnceAsRecorded,
  expectLedgerMatchesChain,
  faultSeed,
  runAndKill,
  runOk,
  settle,
  trialCount,
  type KillPlan,
} from "../helpers/faults";
import { copyPostgresDatabase, queryPostgres } from "../helpers/postgres";
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
    await revertChain();
  });
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
