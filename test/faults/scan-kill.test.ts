import fs from "node:fs";
import path from "node:path";
import type { Contract } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/database";
import { tempDir } from "../helpers/cli";
import { describeKill, expectIntactDatabase, faultSeed, runAndKill, runOk, settle, trialCount, type KillPlan } from "../helpers/faults";
import { startRpcProxy, type RpcProxy } from "../helpers/rpc-proxy";
import { seededRandom } from "../helpers/random";
import { expectDatabaseIsTheChain } from "../helpers/scan-expect";
import { deploySecurityToken, securityTokenHistory, startScanChain, type History, type ScanChain } from "../helpers/scan-fixtures";

/**
 * token-scan killed at random instants, and chains reorganised between runs: whatever happened,
 * the run that finishes leaves exactly the chain's Transfer events and a cap table equal to
 * balanceOf at the checked blocks. The proxy refuses eth_getLogs over more than 8 blocks the way
 * Infura does, so a scan is many small requests (many instants to be killed at).
 */
const KILL_TRIALS = trialCount(6);
const REORG_TRIALS = Math.max(2, Math.round(trialCount(6) / 2));

describe("token-scan under SIGKILL and reorgs", () => {
  let chain: ScanChain;
  let proxy: RpcProxy;
  let token: Contract;
  let tokenAddress: string;
  let history: History;
  let cleanRunMs: number;
  const tmp = tempDir("sto-scan-faults-");

  const scanArgs = (database: string): string[] => ["--database-file", database, "--ethereum-node-url", proxy.url, "token-scan", "--token-address", tokenAddress];

  /** The database equals the chain: every event, and the cap table at the head and a few blocks of the history. */
  const expectScanned = async (database: string, holders: string[], blocks: number[], next: () => number): Promise<void> => {
    expectIntactDatabase(database);
    await settle(chain.provider);
    const db = openDatabase(database);
    try {
      const head = await chain.blockNumber();
      const sample = [head, ...[0, 1].map(() => blocks[Math.floor(next() * blocks.length)])];
      await expectDatabaseIsTheChain(chain, db, token, holders, sample);
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    chain = await startScanChain();
    token = await deploySecurityToken(chain, chain.wallets[0]);
    tokenAddress = await token.getAddress();
    history = await securityTokenHistory(chain, token, { seed: 11, operations: 24, passiveHolders: 20 });
    proxy = await startRpcProxy(chain.url, { rates: { maxLogRange: 8 } });
    const calibration = path.join(tmp.dir, "calibration.sqlite");
    const started = Date.now();
    await runOk(scanArgs(calibration));
    cleanRunMs = Date.now() - started;
  });
  afterAll(async () => {
    await proxy?.close();
    await chain?.close();
    tmp.cleanup();
  });

  /** `logRequests`: about how many eth_getLogs the run will make, so that most plans do kill. */
  const pickPlan = (next: () => number, logRequests: number): KillPlan => {
    const roll = next();
    if (roll < 0.4) return { kind: "after-ms", ms: Math.round(next() * cleanRunMs) };
    if (roll < 0.8) return { kind: "on-request", method: "eth_getLogs", index: 1 + Math.floor(next() * logRequests), phase: next() < 0.5 ? "received" : "answered" };
    return { kind: "on-request", method: "*", index: 1 + Math.floor(next() * logRequests * 2), phase: "answered" };
  };

  it(`${KILL_TRIALS} trials: killed scans resume and the scanned cap table equals the chain`, async () => {
    const seed = faultSeed();
    const next = seededRandom(seed);
    const log: string[] = [];
    try {
      for (let trial = 0; trial < KILL_TRIALS; trial++) {
        const database = path.join(tmp.dir, `kill-${trial}.sqlite`);
        const kills = 1 + Math.floor(next() * 3);
        for (let kill = 0; kill < kills; kill++) {
          const plan = pickPlan(next, 8);
          const result = await runAndKill(scanArgs(database), plan, { proxy });
          log.push(`trial ${trial}: ${describeKill(plan)} -> ${result.signal ?? `exit ${result.code}`}`);
          if (result.signal !== "SIGKILL") expect(result.code, result.stderr).toBe(0);
        }
        await runOk(scanArgs(database));
        await expectScanned(database, history.holders, history.blocks, next);
        fs.rmSync(database, { force: true });
      }
    } catch (error) {
      throw new Error(`seed ${seed} (replay with STO_FAULT_SEED=${seed}):\n${log.join("\n")}\n${(error as Error).message}`);
    }
    console.log(`token-scan kill trials: ${KILL_TRIALS}, runs killed: ${log.filter((line) => line.endsWith("SIGKILL")).length}, seed ${seed}`);
  }, 60_000 + KILL_TRIALS * 30_000);

  it(`${REORG_TRIALS} trials: a reorg between (killed) scans is undone and rescanned`, async () => {
    const seed = faultSeed();
    const next = seededRandom(seed);
    const log: string[] = [];
    try {
      for (let trial = 0; trial < REORG_TRIALS; trial++) {
        const database = path.join(tmp.dir, `reorg-${trial}.sqlite`);
        await runOk(scanArgs(database));
        await settle(chain.provider);
        const forkPoint = await chain.snapshot();
        // The branch the scan sees first, scanned fully or until a kill.
        const orphaned = await securityTokenHistory(chain, token, { seed: seed + trial * 2, operations: 3 + Math.floor(next() * 6), passiveHolders: 8 });
        const plan = pickPlan(next, 2);
        const first = await runAndKill(scanArgs(database), plan, { proxy });
        log.push(`trial ${trial}: scan of the branch: ${describeKill(plan)} -> ${first.signal ?? `exit ${first.code}`}`);
        // The branch that wins: another history from the same fork point, longer.
        await settle(chain.provider);
        await chain.revert(forkPoint);
        const winner = await securityTokenHistory(chain, token, { seed: seed + trial * 2 + 1, operations: 8 + Math.floor(next() * 6), passiveHolders: 8 });
        const second = await runOk(scanArgs(database));
        log.push(`trial ${trial}: rescan: ${second.stderr.match(/reorganised[^\n]*/)?.[0] ?? "no reorg reported"}`);
        const holders = [...new Set([...history.holders, ...orphaned.holders, ...winner.holders])];
        await expectScanned(database, holders, winner.blocks, next);
        fs.rmSync(database, { force: true });
      }
    } catch (error) {
      throw new Error(`seed ${seed} (replay with STO_FAULT_SEED=${seed}):\n${log.join("\n")}\n${(error as Error).message}`);
    }
    console.log(`token-scan reorg trials: ${REORG_TRIALS}, seed ${seed}\n${log.join("\n")}`);
  }, 60_000 + REORG_TRIALS * 40_000);
});
