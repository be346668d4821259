import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEPLOYER, startWorld, tokenAddressFrom, type E2eWorld } from "../helpers/e2e";
import { expectEveryNonceMinedOnceAsRecorded, FAULT_ENV, faultSeed, runOk, settle, trialCount } from "../helpers/faults";
import { closedNodeUrl, spawnSto, type StoResult } from "../helpers/cli";
import { startRpcProxy, type FaultRates, type RpcProxy } from "../helpers/rpc-proxy";

/**
 * A node that misbehaves — slow answers, dropped requests, 429 and 5xx, connections cut before and
 * after the node acted, answers cut in half, JSON-RPC rate limits, and Infura's refusal of large log
 * ranges — under the whole flow. Every command finishes, and what it leaves (database rows, the
 * chain, the scanned cap table) is identical to a run against a well-behaved node.
 */
const FLAKY: FaultRates = {
  delay: 0.05,
  delayMs: [50, 400],
  drop: 0.02,
  holdMs: 2_000,
  http429: 0.03,
  http500: 0.03,
  reset: 0.03,
  cutAfterForward: 0.03,
  truncate: 0.02,
  rpcRateLimit: 0.03,
  maxLogRange: 2,
};

const HOLDER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

interface Outcome {
  transactions: unknown[];
  tokenStatus: unknown;
  transfers: unknown[];
  capTable: unknown;
}

/** The flow of the manual's tutorial, through `nodeUrl`; what it leaves, without times. */
async function runFlow(world: E2eWorld, nodeUrl: string): Promise<Outcome> {
  const sto = (args: string[]) => runOk(["--database-file", world.databaseFile, "--ethereum-node-url", nodeUrl, ...args], { cwd: world.dir });
  await sto(["kyc-deploy"]);
  const issued = await sto(["issue", "--symbol=FLK", "--name=Flaky corp", "--url=https://flaky.example", "--amount=10000", "--transfer-restriction=restricted"]);
  const token = tokenAddressFrom(issued);
  await sto(["tx-broadcast"]);
  await sto(["kyc-manage", `--whitelist-address=${HOLDER}`]);
  await sto(["tx-update"]);
  const status = await sto(["--json", "token-status", "--address", token]);
  await sto(["token-scan", "--token-address", token]);
  const capTable = await sto(["cap-table", "--token-address", token, "--format", "json", "--include-empty"]);
  return {
    transactions: world.query(
      "SELECT nonce, status, note, to_address, data, value, gas_limit, tx_hash, raw_transaction, block_number, succeeded, revert_reason FROM prepared_transactions ORDER BY nonce",
    ),
    tokenStatus: JSON.parse(status.stdout) as unknown,
    transfers: world.query("SELECT block_number, log_index, tx_hash, from_address, to_address, value FROM token_transfers ORDER BY block_number, log_index"),
    capTable: withoutTimes(JSON.parse(capTable.stdout)),
  };
}

function withoutTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTimes);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).filter(([key]) => !/At$|Time|timestamp|date/i.test(key)).map(([key, entry]) => [key, withoutTimes(entry)]));
  }
  return value;
}

/** Flows through the flaky node: one in `npm test`, a tenth of STO_FAULT_TRIALS in the long run. */
const ROUNDS = Math.max(1, Math.round(trialCount(10) / 10));

describe("a flaky node", () => {
  let expected: Outcome;

  beforeAll(async () => {
    const clean = await startWorld();
    try {
      expected = await runFlow(clean, clean.chain.url);
    } finally {
      await clean.close();
    }
  });

  it(`${ROUNDS} flow(s): every command finishes with results identical to a run against a well-behaved node`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const seed = faultSeed(`flaky-node round ${round}`);
      const flaky = await startWorld();
      const proxy = await startRpcProxy(flaky.chain.url, {
        seed,
        rates: FLAKY,
        forceEach: ["cutAfterForward", "drop", "truncate", "http429", "reset", "rpcRateLimit", "http500", "delay"],
      });
      try {
        const actual = await runFlow(flaky, proxy.url);
        expect(actual).toEqual(expected);
        await settle(flaky.provider);
        await expectEveryNonceMinedOnceAsRecorded(flaky.provider, flaky.databaseFile, DEPLOYER, 0);
        // Every kind of fault did happen.
        for (const fault of ["delay", "drop", "http429", "reset", "cutAfterForward", "truncate", "rpcRateLimit", "logRange"]) {
          expect(proxy.stats.faults[fault] ?? 0, `${fault} faults`).toBeGreaterThan(0);
        }
        console.log(`flaky node round ${round + 1}/${ROUNDS}: ${proxy.stats.requests} requests, faults ${JSON.stringify(proxy.stats.faults)}, seed ${seed}`);
      } catch (error) {
        throw new Error(`seed ${seed} (replay with STO_FAULT_SEED=${seed}), faults ${JSON.stringify(proxy.stats.faults)}: ${(error as Error).message}`);
      } finally {
        await proxy.close();
        await flaky.close();
      }
    }
  }, 60_000 + ROUNDS * 120_000);
});

describe("a node that stays down", () => {
  let world: E2eWorld;
  let proxy: RpcProxy;
  beforeAll(async () => {
    world = await startWorld();
    proxy = await startRpcProxy(world.chain.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await world?.close();
  });

  const sto = (args: string[], env: Record<string, string> = {}): Promise<StoResult> =>
    spawnSto(["--database-file", world.databaseFile, "--ethereum-node-url", proxy.url, ...args], {
      cwd: world.dir,
      env: { ...FAULT_ENV, STO_RPC_ATTEMPTS: "3", ...env },
    }).result;

  function expectOneLine(result: StoResult, code: number, pattern: RegExp): void {
    expect(result.code, result.stderr).toBe(code);
    const errors = result.stderr.split("\n").filter((line) => line.startsWith("error:"));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(pattern);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }

  it("stops with exit 3 and a clear message when the node fails mid-broadcast; a re-run resumes", async () => {
    await runOk(["--database-file", world.databaseFile, "--ethereum-node-url", world.chain.url, "issue", "--symbol=DWN", "--name=Down corp", "--url=https://down.example", "--amount=5"]);
    // The node goes down for good right after it took the second transaction: alone, once it has
    // answered it; inside a batch, the node gets the batch up to it ("cut") and nothing after.
    proxy.setOnRequest((request, phase) => {
      if (request.method !== "eth_sendRawTransaction" || request.index !== 2 || phase !== (request.batch ? "received" : "answered")) return;
      proxy.setRates({ outage: 503 });
      return "cut";
    });
    const failed = await sto(["tx-broadcast"]);
    proxy.setOnRequest(undefined);
    expectOneLine(failed, 3, /failed eth_\w+ 3 times .*HTTP 503.*run tx-broadcast again/);
    const states = world.query<{ status: string; raw_transaction: string | null }>("SELECT status, raw_transaction FROM prepared_transactions ORDER BY nonce");
    expect(states.slice(0, 2).map((row) => row.status)).toEqual(["broadcasted", "broadcasted"]);
    expect(states.slice(2).map((row) => row.status)).toEqual(states.slice(2).map(() => "waiting"));
    // The rest is signed and recorded: the re-run sends the same bytes.
    expect(states.every((row) => row.raw_transaction !== null)).toBe(true);

    const down = await sto(["tx-update"]);
    expectOneLine(down, 3, /failed eth_chainId 3 times .*HTTP 503.*run the same command again to resume/);

    proxy.setRates({});
    await runOk(["--database-file", world.databaseFile, "--ethereum-node-url", proxy.url, "tx-broadcast"], { cwd: world.dir });
    await runOk(["--database-file", world.databaseFile, "--ethereum-node-url", proxy.url, "tx-update"], { cwd: world.dir });
    await settle(world.provider);
    await expectEveryNonceMinedOnceAsRecorded(world.provider, world.databaseFile, DEPLOYER, 0);
  });

  it("a refusal (HTTP 401) is reported at once, without retries", async () => {
    proxy.setRates({ outage: 401 });
    const before = proxy.stats.requests;
    const refused = await sto(["tx-next-nonce"], { STO_RPC_ATTEMPTS: "8" });
    proxy.setRates({});
    expectOneLine(refused, 3, /refused eth_chainId: HTTP 401 .*check ethereum-node-url/);
    expect(proxy.stats.requests - before).toBe(1);
  });

  it("a node that is not there is explained with one line after a few quick attempts", async () => {
    const url = await closedNodeUrl();
    const result = await spawnSto(["--log-level", "debug", "--database-file", world.databaseFile, "--ethereum-node-url", url, "diagnose"], { cwd: world.dir }).result;
    expectOneLine(result, 3, new RegExp(`cannot reach the Ethereum node at ${url.replace(/[.]/g, "\\.")} \\(connection refused\\)`));
    // "Quick" counted from what the CLI did, not from the clock (a loaded machine starts Node slowly):
    // three attempts, then the refusal, with under a second of backoff in all (not the 8 attempts and
    // up to 3 minutes a node that answers badly gets).
    const retries = [...result.stderr.matchAll(/debug: node: eth_chainId failed \(connection refused\); retry (\d+)\/\d+ in (\d+) ms/g)];
    expect(retries.map((retry) => Number(retry[1])), result.stderr).toEqual([1, 2]);
    expect(retries.reduce((total, retry) => total + Number(retry[2]), 0)).toBeLessThan(1_000);
  });
});
