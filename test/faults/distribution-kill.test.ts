import fs from "node:fs";
import path from "node:path";
import { Contract, JsonRpcProvider, Network, Wallet, parseUnits } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEPLOYER, startWorld, tokenAddressFrom, type E2eWorld } from "../helpers/e2e";
import {
  copyDatabase,
  describeKill,
  expectEveryNonceMinedOnceAsRecorded,
  expectKillsLanded,
  faultSeed,
  readRows,
  runAndKill,
  runOk,
  settle,
  trialCount,
  type KillPlan,
} from "../helpers/faults";
import { startRpcProxy, type RpcProxy } from "../helpers/rpc-proxy";
import { seededRandom } from "../helpers/random";

/**
 * distribute-multiple, tx-broadcast and a re-run of the distribution, each killed with SIGKILL at
 * random instants and in random order, then run to the end: every external_id is paid exactly
 * once (one active payment, one mined transfer, the receiver's balance is the amount), and every
 * nonce has one mined transaction, the one recorded.
 */
const TRIALS = Math.max(3, Math.round(trialCount(6) / 2));
const ROWS = 24;

interface Payment {
  externalId: string;
  address: string;
  amount: string;
}

describe("distribution killed at random instants", () => {
  let world: E2eWorld;
  let proxy: RpcProxy;
  let provider: JsonRpcProvider;
  let template: string;
  let snapshot: string;
  let token: string;
  const payments: Payment[] = [];
  const csv = (): string => path.join(world.dir, "payments.csv");

  beforeAll(async () => {
    world = await startWorld();
    proxy = await startRpcProxy(world.chain.url);
    provider = new JsonRpcProvider(world.chain.url, Network.from(31337), { staticNetwork: true, cacheTimeout: -1 });
    token = tokenAddressFrom(await world.ok(["issue", "--symbol=DST", "--name=Distributed corp", "--url=https://d.example", "--amount=1000000"]));
    await world.ok(["tx-broadcast"]);
    await world.ok(["tx-update"]);
    const next = seededRandom(99);
    for (let row = 0; row < ROWS; row++) {
      const amount = `${1 + Math.floor(next() * 5000)}.${Math.floor(next() * 100)}`;
      payments.push({ externalId: `pay-${row}`, address: Wallet.createRandom().address, amount });
    }
    fs.writeFileSync(csv(), ["external_id,email,name,address,amount", ...payments.map((p, i) => `${p.externalId},holder${i}@example.com,Holder ${i},${p.address},${p.amount}`)].join("\n"));
    template = path.join(world.dir, "issued.sqlite");
    copyDatabase(world.databaseFile, template);
    snapshot = await provider.send("evm_snapshot", []);
  });
  afterAll(async () => {
    provider?.destroy();
    await proxy?.close();
    await world?.close();
  });

  it(`${TRIALS} trials: every external_id paid exactly once`, async () => {
    const seed = faultSeed("distribution kill trials");
    const next = seededRandom(seed);
    const log: string[] = [];
    const erc20 = new Contract(token, ["function balanceOf(address) view returns (uint256)"], provider);
    // Sized so that most plans kill: distribute-multiple makes about ten requests in a second.
    const pick = (command: string, transactions: number): KillPlan => {
      const roll = next();
      if (roll < 0.35) return { kind: "after-ms", ms: Math.round(150 + next() * (command === "tx-broadcast" ? 2500 : 1200)) };
      if (command === "tx-broadcast" && roll < 0.8) {
        return { kind: "on-request", method: "eth_sendRawTransaction", index: 1 + Math.floor(next() * transactions), phase: next() < 0.5 ? "received" : "answered" };
      }
      return { kind: "on-request", method: "*", index: 1 + Math.floor(next() * 10), phase: next() < 0.5 ? "received" : "answered" };
    };
    try {
      for (let trial = 0; trial < TRIALS; trial++) {
        const database = path.join(world.dir, `distribution-${trial}.sqlite`);
        copyDatabase(template, database);
        const batch = next() < 0.3 ? ["--batch-size", "7"] : [];
        const args = ["--database-file", database, "--ethereum-node-url", proxy.url];
        const distribute = [...args, "distribute-multiple", `--csv-input=${csv()}`, `--address=${token}`, ...batch];
        const killed = async (command: "distribute-multiple" | "tx-broadcast"): Promise<void> => {
          // The first broadcast of the first trial is killed for certain (nothing is sent yet, so
          // there is a first eth_sendRawTransaction), so that no seed makes a run without a fault.
          const certain = trial === 0 && command === "tx-broadcast" && !log.some((line) => line.includes("tx-broadcast"));
          const plan: KillPlan = certain
            ? { kind: "on-request", method: "eth_sendRawTransaction", index: 1, phase: "received" }
            : pick(command, batch.length ? Math.ceil(ROWS / 7) : ROWS);
          const result = await runAndKill(command === "tx-broadcast" ? [...args, "tx-broadcast"] : distribute, plan, { proxy, cwd: world.dir });
          log.push(`trial ${trial}${batch.length ? " (batches)" : ""}: ${command} ${describeKill(plan)} -> ${result.signal ?? `exit ${result.code}`}`);
          if (result.signal !== "SIGKILL") expect(result.code, result.stderr).toBe(0);
        };
        // Preparing killed (all or nothing), then prepared; broadcasting killed, with the
        // distribution run again (and killed) in between: it must never prepare a paid row again.
        for (let kill = Math.floor(next() * 3); kill > 0; kill--) await killed("distribute-multiple");
        await runOk(distribute, { cwd: world.dir });
        for (let kill = 1 + Math.floor(next() * 3); kill > 0; kill--) {
          await killed("tx-broadcast");
          if (next() < 0.5) await killed("distribute-multiple");
        }
        await runOk([...args, "tx-broadcast"], { cwd: world.dir });
        await runOk([...args, "tx-update"], { cwd: world.dir });
        // Running the distribution again now prepares nothing.
        const again = await runOk([...args, "--json", "distribute-multiple", `--csv-input=${csv()}`, `--address=${token}`, ...batch], { cwd: world.dir });
        expect((JSON.parse(again.stdout) as { newTransactions: number }).newTransactions).toBe(0);

        await settle(provider);
        await expectEveryNonceMinedOnceAsRecorded(provider, database, DEPLOYER, 0);
        const active = readRows<{ external_id: string; receiver: string; status: string }>(
          database,
          "SELECT p.external_id, p.receiver, t.status FROM distribution_payments p JOIN prepared_transactions t ON t.id = p.transaction_id WHERE p.superseded_at IS NULL ORDER BY p.id",
        );
        expect(active.map((row) => row.external_id).sort()).toEqual(payments.map((p) => p.externalId).sort());
        expect(active.every((row) => row.status === "success")).toBe(true);
        for (const payment of payments) {
          expect(await erc20.getFunction("balanceOf")(payment.address), `balance of ${payment.externalId}`).toBe(parseUnits(payment.amount, 18));
        }
        expect(await provider.send("evm_revert", [snapshot])).toBe(true);
        snapshot = await provider.send("evm_snapshot", []);
        for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(database + suffix, { force: true });
      }
      expectKillsLanded(log);
    } catch (error) {
      throw new Error(`seed ${seed} (replay with STO_FAULT_SEED=${seed}):\n${log.join("\n")}\n${(error as Error).message}`);
    }
    console.log(`distribution kill trials: ${TRIALS}, runs killed: ${log.filter((line) => line.endsWith("SIGKILL")).length}, seed ${seed}\n${log.join("\n")}`);
  }, 60_000 + TRIALS * 60_000);
});
