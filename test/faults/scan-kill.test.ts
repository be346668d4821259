import fs from "node:fs";
import path from "node:path";
import type { Contract } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/database";
import { tempDir } from "../helpers/cli";
import { describeKill, expectIntactDatabase, expectKillsLanded, faultSeed, readRows, runAndKill, runOk, settle, trialCount, type KillPlan } from "../helpers/faults";
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
    const seed = faultSeed("token-scan kill trials");
    const next = seededRandom(seed);
    const log: string[] = [];
    try {
      for (let trial = 0; trial < KILL_TRIALS; trial++) {
        const database = path.join(tmp.dir, `kill-${trial}.sqlite`);
        const kills = 1 + Math.floor(next() * 3);
        for (let kill = 0; kill < kills; kill++) {
          // The first scan of the first trial is killed for certain (a fresh database needs a first
          // eth_getLogs), so that no seed makes a run without a fault.
          const plan: KillPlan = trial === 0 && kill === 0 ? { kind: "on-request", method: "eth_getLogs", index: 1, phase: "received" } : pickPlan(next, 8);
          const result = await runAndKill(scanArgs(database), plan, { proxy });
          log.push(`trial ${trial}: ${describeKill(plan)} -> ${result.signal ?? `exit ${result.code}`}`);
          if (result.signal !== "SIGKILL") expect(result.code, result.stderr).toBe(0);
        }
        await runOk(scanArgs(database));
        await expectScanned(database, history.holders, history.blocks, next);
        fs.rmSync(database, { force: true });
      }
      expectKillsLanded(log);
    } catch (error) {
      throw new Error(`seed ${seed} (replay with STO_FAULT_SEED=${seed}):\n${log.join("\n")}\n${(error as Error).message}`);
    }
    console.log(`token-scan kill trials: ${KILL_TRIALS}, runs killed: ${log.filter((line) => line.endsWith("SIGKILL")).length}, seed ${seed}`);
  }, 60_000 + KILL_TRIALS * 30_000);

  /** The hashes of blocks `from`..`to` on the node now. */
  const blockHashes = async (from: number, to: number): Promise<string[]> => {
    const hashes: string[] = [];
    for (let block = from; block <= to; block++) hashes.push((await chain.provider.getBlock(block))?.hash ?? "");
    return hashes;
  };

  it(`${REORG_TRIALS} trials: a reorg between (killed) scans is undone and rescanned`, async () => {
    const seed = faultSeed("token-scan reorg trials");
    const next = seededRandom(seed);
    const log: string[] = [];
    let reorgs = 0;
    try {
      for (let trial = 0; trial < REORG_TRIALS; trial++) {
        const database = path.join(tmp.dir, `reorg-${trial}.sqlite`);
        await runOk(scanArgs(database));
        await settle(chain.provider);
        const forkBlock = await chain.blockNumber();
        const forkPoint = await chain.snapshot();
        // The branch the scan sees first, scanned fully or until a kill.
        const orphaned = await securityTokenHistory(chain, token, { seed: seed + trial * 2, operations: 3 + Math.floor(next() * 6), passiveHolders: 8 });
        // The first trial scans the branch to its end, so that every run has a reorg to undo.
        const plan = pickPlan(next, 2);
        const first = trial === 0 ? await runOk(scanArgs(database)) : await runAndKill(scanArgs(database), plan, { proxy });
        log.push(`trial ${trial}: scan of the branch: ${trial === 0 ? "not killed" : describeKill(plan)} -> ${first.signal ?? `exit ${first.code}`}`);
        // Blocks of the branch stored (the last block of the scanned range always is): the rescan must
        // report dropping them. Killed before its first chunk, the scan stored none, and has none to drop.
        const [{ scannedTo }] = readRows<{ scannedTo: number }>(database, "SELECT scanned_to_block AS scannedTo FROM scanned_tokens");
        await settle(chain.provider);
        const branchHashes = await blockHashes(forkBlock + 1, scannedTo);
        // The branch that wins: another history from the same fork point, longer.
        await chain.revert(forkPoint);
        const winner = await securityTokenHistory(chain, token, { seed: seed + trial * 2 + 1, operations: 8 + Math.floor(next() * 6), passiveHolders: 8 });
        // The first block the winner replaced. Not always fork + 1: both branches can begin with the
        // same block (the same first transaction mined in the same second gives the same hash), and
        // a block that is still on the chain is rightly kept.
        const winnerHashes = await blockHashes(forkBlock + 1, scannedTo);
        const firstReplaced = branchHashes.findIndex((hash, index) => hash !== winnerHashes[index]);
        const storedBranch = firstReplaced >= 0;
        const second = await runOk(scanArgs(database));
        const reported = [...second.stderr.matchAll(/^warning: the chain was reorganised: dropped blocks (\d+)-(\d+) and scanning them again$/gm)];
        log.push(`trial ${trial}: branch scanned to ${scannedTo} (fork at ${forkBlock}, first replaced block ${firstReplaced < 0 ? "none" : forkBlock + 1 + firstReplaced}); rescan: ${reported.map((match) => match[0]).join("; ") || "no reorg reported"}`);
        if (storedBranch) {
          expect(reported, `the rescan did not report the reorganisation:\n${second.stderr}`).toHaveLength(1);
          const [, from, to] = reported[0].map(Number);
          expect(from).toBeGreaterThan(0);
          expect(from).toBeLessThanOrEqual(forkBlock + 1 + firstReplaced);
          expect(to).toBe(scannedTo);
          reorgs++;
        } else {
          expect(reported, second.stderr).toEqual([]);
        }
        const holders = [...new Set([...history.holders, ...orphaned.holders, ...winner.holders])];
        await expectScanned(database, holders, winner.blocks, next);
        fs.rmSync(database, { force: true });
      }
      expect(reorgs, "no trial had a reorganisation to undo").toBeGreaterThan(0);
    } catch (error) {
      throw new Error(`seed ${seed} (replay with STO_FAULT_SEED=${seed}):\n${log.join("\n")}\n${(error as Error).message}`);
    }
    console.log(`token-scan reorg trials: ${REORG_TRIALS}, seed ${seed}\n${log.join("\n")}`);
  }, 60_000 + REORG_TRIALS * 40_000);
});
