import fs from "node:fs";
import path from "node:path";
import { JsonRpcProvider, Network } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEPLOYER, startWorld, type E2eWorld } from "../helpers/e2e";
import { copyDatabase, describeKill, expectEveryNonceMinedOnceAsRecorded, expectKillsLanded, faultSeed, readRows, runAndKill, runOk, settle, trialCount, type KillPlan } from "../helpers/faults";
import { startRpcProxy, type RpcProxy } from "../helpers/rpc-proxy";
import { seededRandom } from "../helpers/random";

/**
 * SIGKILL at random instants of tx-bump, on transactions waiting in the node's pool (a chain that
 * does not mine by itself), then tx-bump or tx-broadcast again, then a block: whichever version
 * the node mined, each nonce has one mined transaction, the database records that one, and every
 * version the node could have held is recorded.
 */
const TRIALS = Math.max(3, Math.round(trialCount(6) / 2));

describe("tx-bump killed at random instants", () => {
  let world: E2eWorld;
  let proxy: RpcProxy;
  let provider: JsonRpcProvider;
  let template: string;
  let snapshot: string;

  beforeAll(async () => {
    world = await startWorld({ automine: false });
    proxy = await startRpcProxy(world.chain.url);
    provider = new JsonRpcProvider(world.chain.url, Network.from(31337), { staticNetwork: true, cacheTimeout: -1 });
    await world.ok(["issue", "--symbol=BMP", "--name=Bump corp", "--url=https://bump.example", "--amount=1000"]);
    template = path.join(world.dir, "prepared.sqlite");
    copyDatabase(world.databaseFile, template);
    snapshot = await provider.send("evm_snapshot", []);
  });
  afterAll(async () => {
    provider?.destroy();
    await proxy?.close();
    await world?.close();
  });

  it(`${TRIALS} trials: whichever version is mined is the one recorded`, async () => {
    const seed = faultSeed("tx-bump kill trials");
    const next = seededRandom(seed);
    const log: string[] = [];
    const pick = (): KillPlan => {
      const roll = next();
      if (roll < 0.25) return { kind: "fault-point", setting: "after-bump-sign" };
      if (roll < 0.5) return { kind: "fault-point", setting: `after-bump-send:${1 + Math.floor(next() * 4)}` };
      if (roll < 0.8) return { kind: "on-request", method: "eth_sendRawTransaction", index: 1 + Math.floor(next() * 4), phase: next() < 0.5 ? "received" : "answered" };
      return { kind: "after-ms", ms: Math.round(300 + next() * 1500) };
    };
    try {
      for (let trial = 0; trial < TRIALS; trial++) {
        const database = path.join(world.dir, `bump-${trial}.sqlite`);
        copyDatabase(template, database);
        const args = ["--database-file", database, "--ethereum-node-url", proxy.url];
        await runOk([...args, "tx-broadcast"], { cwd: world.dir });
        // The first trial is killed for certain (tx-bump signs a new version of each of the 4
        // transactions), so that no seed makes a run without a fault.
        const plan: KillPlan = trial === 0 ? { kind: "fault-point", setting: "after-bump-sign" } : pick();
        const killed = await runAndKill([...args, "tx-bump"], plan, { proxy, cwd: world.dir });
        const finish = next() < 0.5 ? "tx-bump" : "tx-broadcast";
        log.push(`trial ${trial}: tx-bump ${describeKill(plan)} -> ${killed.signal ?? `exit ${killed.code}`}`);
        log.push(`trial ${trial}: then ${finish}`);
        if (killed.signal !== "SIGKILL") expect(killed.code, killed.stderr).toBe(0);
        // A fault point that was never reached means tx-bump no longer passes there.
        if (plan.kind === "fault-point") expect(killed.signal, `${describeKill(plan)} was never reached`).toBe("SIGKILL");
        await runOk([...args, finish], { cwd: world.dir });
        await settle(provider);
        await provider.send("evm_mine", []);
        await runOk([...args, "tx-update"], { cwd: world.dir });
        await settle(provider);
        await expectEveryNonceMinedOnceAsRecorded(provider, database, DEPLOYER, 0, "any");
        const versions = readRows<{ n: number }>(database, "SELECT count(*) AS n FROM transaction_signatures")[0].n;
        log.push(`trial ${trial}: ${versions} versions recorded for 4 transactions`);
        expect(await provider.send("evm_revert", [snapshot])).toBe(true);
        snapshot = await provider.send("evm_snapshot", []);
        fs.rmSync(database, { force: true });
      }
      expectKillsLanded(log);
    } catch (error) {
      throw new Error(`seed ${seed} (replay with STO_FAULT_SEED=${seed}):\n${log.join("\n")}\n${(error as Error).message}`);
    }
    console.log(`tx-bump kill trials: ${TRIALS}, seed ${seed}\n${log.join("\n")}`);
  }, 60_000 + TRIALS * 40_000);
});
