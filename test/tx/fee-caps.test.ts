import fs from "node:fs";
import path from "node:path";
import { id } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEPLOYER, tokenAddressFrom, worldOnNode, type E2eWorld } from "../helpers/e2e";
import { startAnvil, type Anvil } from "../helpers/foundry";

const PAYMENTS = 80;
/** Four or five transfers a block: the 80 payments fill about 20 blocks in a row. */
const BLOCK_GAS_LIMIT = 300_000;
const BASE_FEE = 100_000_000_000n;

/**
 * A broadcast that fills block after block raises the base fee by itself, up to 12.5 % a block;
 * with the old default cap (2 × the base fee at signing + priority fee) anvil evicted the last
 * ~1,800 of 10,000 transfers (docs/benchmarks.md). On anvil with small blocks and a base fee far
 * above the priority fee, every one of 80 payments sent at once must be mined, none evicted.
 */
describe("tx-broadcast's fee caps allow for the blocks the broadcast fills itself, on anvil", () => {
  let anvil: Anvil;
  let world: Omit<E2eWorld, "chain">;

  beforeAll(async () => {
    anvil = await startAnvil();
    world = worldOnNode(anvil.url, () => anvil.close());
  }, 60_000);
  afterAll(() => world?.close());

  it("gets every payment of a broadcast 20 blocks long mined, the later ones signed with higher caps", async () => {
    const token = tokenAddressFrom(await world.ok(["issue", "--symbol=FEE", "--name=Fee corp", "--amount=100000"]));
    await world.ok(["tx-broadcast"]);
    await world.ok(["tx-update"]);
    const csv = path.join(world.dir, "payments.csv");
    const receivers = Array.from({ length: PAYMENTS }, (_, index) => `0x${id(`fee receiver ${index}`).slice(26)}`);
    fs.writeFileSync(csv, `external_id,email,name,address,amount\n${receivers.map((address, index) => `p${index},p${index}@example.com,Payee ${index},${address},${index + 1}`).join("\n")}\n`);
    await world.ok(["distribute-multiple", `--csv-input=${csv}`, `--address=${token}`]);

    // Small blocks, mined only when asked, from a base fee of 100 gwei.
    await anvil.rpc("evm_setAutomine", [false]);
    await anvil.rpc("evm_setBlockGasLimit", [`0x${BLOCK_GAS_LIMIT.toString(16)}`]);
    await anvil.rpc("anvil_setNextBlockBaseFeePerGas", [`0x${BASE_FEE.toString(16)}`]);
    await anvil.rpc("evm_mine", []);
    const first = Number(await anvil.rpc<string>("eth_getTransactionCount", [DEPLOYER, "latest"]));

    await world.ok(["tx-broadcast"]);
    const signed = world.query<{ gas_limit: string; max_fee_per_gas: string }>(
      "SELECT gas_limit, max_fee_per_gas FROM prepared_transactions WHERE nonce >= ? ORDER BY nonce",
      first,
    );
    expect(signed).toHaveLength(PAYMENTS);
    const caps = signed.map((row) => BigInt(row.max_fee_per_gas));
    // The first ones keep the default; the last one allows for the full blocks before it.
    expect(caps[1]).toBe(caps[0]);
    const gasBefore = signed.slice(0, -1).reduce((sum, row) => sum + BigInt(row.gas_limit), 0n);
    const blocks = Number(gasBefore / BigInt(BLOCK_GAS_LIMIT));
    expect(blocks).toBeGreaterThanOrEqual(15);
    const priority = caps[0] - 2n * BASE_FEE;
    expect(caps[PAYMENTS - 1]).toBe((2n * BASE_FEE * 9n ** BigInt(blocks) + 8n ** BigInt(blocks) - 1n) / 8n ** BigInt(blocks) + priority);

    let mined = 0;
    let baseFeeRose = false;
    for (let block = 0; block < 60; block++) {
      await anvil.rpc("evm_mine", []);
      const latest = await anvil.rpc<{ baseFeePerGas: string }>("eth_getBlockByNumber", ["latest", false]);
      if (BigInt(latest.baseFeePerGas) > 2n * BASE_FEE + priority) baseFeeRose = true;
      mined = Number(await anvil.rpc<string>("eth_getTransactionCount", [DEPLOYER, "latest"])) - first;
      const pool = await anvil.rpc<{ pending: string; queued: string }>("txpool_status");
      if (pool.pending === "0x0" && pool.queued === "0x0") break;
    }
    // The base fee passed the old default cap on the way, and no payment was evicted for it.
    expect(baseFeeRose).toBe(true);
    expect(mined).toBe(PAYMENTS);
    await anvil.rpc("evm_setAutomine", [true]);
    await world.ok(["tx-update"]);
    expect(world.query<{ status: string; n: number }>("SELECT status, count(*) AS n FROM prepared_transactions WHERE nonce >= ? GROUP BY status", first)).toEqual([
      { status: "success", n: PAYMENTS },
    ]);
  }, 180_000);
});
