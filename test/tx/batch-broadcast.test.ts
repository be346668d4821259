import fs from "node:fs";
import path from "node:path";
import { JsonRpcProvider, Network, id } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEPLOYER, tokenAddressFrom, worldOnNode, type E2eWorld } from "../helpers/e2e";
import { copyDatabase, expectEveryNonceMinedOnceAsRecorded, readRows, runOk } from "../helpers/faults";
import { startAnvil, type Anvil } from "../helpers/foundry";
import { startRpcProxy, type RpcProxy } from "../helpers/rpc-proxy";

/**
 * tx-broadcast hands a chunk's recorded transactions to the node as JSON-RPC batches, on Foundry's
 * anvil (a node nobody here wrote) behind the loopback proxy, which forwards the batches to anvil
 * as batches and counts every send inside them. Whatever the node does with a batch — takes it,
 * refuses batches, limits their size, leaves sends out of its answer — every payment is sent, is
 * mined once, with the one signature recorded before it was first sent.
 */
const PAYMENTS = 40;

describe("tx-broadcast in JSON-RPC batches, on anvil", () => {
  let anvil: Anvil;
  let world: Omit<E2eWorld, "chain">;
  let proxy: RpcProxy;
  let provider: JsonRpcProvider;
  let template: string;
  let snapshot: string;

  beforeAll(async () => {
    anvil = await startAnvil();
    world = worldOnNode(anvil.url, () => anvil.close());
    provider = new JsonRpcProvider(anvil.url, Network.from(31337), { staticNetwork: true, cacheTimeout: -1 });
    const token = tokenAddressFrom(await world.ok(["issue", "--symbol=BAT", "--name=Batch corp", "--amount=100000"]));
    await world.ok(["tx-broadcast", "--wait", "--timeout", "60"]);
    const csv = path.join(world.dir, "payments.csv");
    const receivers = Array.from({ length: PAYMENTS }, (_, index) => `0x${id(`batch receiver ${index}`).slice(26)}`);
    fs.writeFileSync(csv, `external_id,email,name,address,amount\n${receivers.map((address, index) => `p${index},p${index}@example.com,Payee ${index},${address},${index + 1}`).join("\n")}\n`);
    await world.ok(["distribute-multiple", `--csv-input=${csv}`, `--address=${token}`]);
    template = path.join(world.dir, "prepared.sqlite");
    copyDatabase(world.databaseFile, template);
    expect(readRows<{ n: number }>(template, "SELECT count(*) AS n FROM prepared_transactions WHERE status = 'waiting'")[0].n).toBe(PAYMENTS);
    proxy = await startRpcProxy(anvil.url);
    snapshot = await provider.send("evm_snapshot", []);
  }, 120_000);
  afterAll(async () => {
    await proxy?.close();
    provider?.destroy();
    await world?.close();
  });

  /** The payments broadcast through the proxy from a fresh copy of the prepared database; what the proxy counted meanwhile. */
  async function deliver(name: string): Promise<{ batches: number; singles: number; sends: number; faults: Record<string, number> }> {
    expect(await provider.send("evm_revert", [snapshot])).toBe(true);
    snapshot = await provider.send("evm_snapshot", []);
    const database = path.join(world.dir, `${name}.sqlite`);
    copyDatabase(template, database);
    const before = { methods: { ...proxy.stats.methods }, calls: { ...proxy.stats.calls }, faults: { ...proxy.stats.faults } };
    await runOk(["--database-file", database, "--ethereum-node-url", proxy.url, "tx-broadcast", "--wait", "--timeout", "60"], { cwd: world.dir });
    const delta = (now: Record<string, number>, then: Record<string, number>, key: string): number => (now[key] ?? 0) - (then[key] ?? 0);
    const faults = Object.fromEntries(Object.keys(proxy.stats.faults).map((key) => [key, delta(proxy.stats.faults, before.faults, key)]));
    await expectEveryNonceMinedOnceAsRecorded(provider, database, DEPLOYER, 0);
    return {
      batches: delta(proxy.stats.methods, before.methods, "batch:eth_sendRawTransaction"),
      singles: delta(proxy.stats.methods, before.methods, "eth_sendRawTransaction"),
      sends: delta(proxy.stats.calls, before.calls, "eth_sendRawTransaction"),
      faults,
    };
  }

  it("anvil takes the sends as batches: each payment sent once, in two batches (one per write-ahead chunk)", async () => {
    proxy.setBatchPolicy("accept");
    const seen = await deliver("accepted");
    // Chunks of 16 then 32 (24 left): one batch each, nothing sent alone, nothing sent twice.
    expect(seen).toMatchObject({ batches: 2, singles: 0, sends: PAYMENTS });
  });

  it("a node that refuses batches gets them one at a time after its first refusal", async () => {
    proxy.setBatchPolicy("refuse");
    try {
      const seen = await deliver("refused");
      expect(seen.faults["batchRefused:eth_sendRawTransaction"]).toBe(1);
      expect(seen.singles).toBe(PAYMENTS);
      expect(seen.sends).toBe(PAYMENTS);
    } finally {
      proxy.setBatchPolicy("accept");
    }
  });

  it("a node that limits batches (geth's 'batch too large') gets smaller ones, each payment sent once", async () => {
    proxy.setBatchPolicy({ maxSize: 5 });
    try {
      const seen = await deliver("limited");
      // 16 refused, 8 refused, then batches of 4 (the refused batches never reached the node).
      expect(seen.faults["batchTooLarge:eth_sendRawTransaction"]).toBe(2);
      expect(seen.batches).toBeGreaterThanOrEqual(2 + Math.ceil(PAYMENTS / 4));
      expect(seen.sends).toBe(PAYMENTS);
    } finally {
      proxy.setBatchPolicy("accept");
    }
  });

  it("sends left out of a batch's answer, or refused as part of it, are sent again (the same bytes) and the rest not", async () => {
    // The 3rd send is left out of the answer (never forwarded), the 7th answered with geth's
    // "response too large", the 20th left out too: each the first time it is seen.
    let seenSends = 0;
    proxy.setItemAnswerer((request) => {
      if (request.method !== "eth_sendRawTransaction" || !request.batch) return undefined;
      seenSends += 1;
      if (seenSends === 3 || seenSends === 20) return "omit";
      if (seenSends === 7) return { error: { code: -32003, message: "response too large" } };
      return undefined;
    });
    try {
      const seen = await deliver("partial");
      expect(seen.faults.itemOmitted).toBe(2);
      expect(seen.faults.itemAnswer).toBe(1);
      // Every payment reached the node once, plus the three that did not the first time.
      expect(seen.sends).toBe(PAYMENTS + 3);
    } finally {
      proxy.setItemAnswerer(undefined);
    }
  });
});
