import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runSto } from "../helpers/cli";
import { startWorld, type E2eWorld } from "../helpers/e2e";
import { startRpcProxy } from "../helpers/rpc-proxy";

const SECOND_ACCOUNT_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

describe("tx-update", () => {
  let world: E2eWorld;
  // Each test on a chain and database of its own: the first asks for the first row and block 1.
  beforeEach(async () => {
    world = await startWorld();
  });
  afterEach(() => world.close());

  it("counts a result final only after --confirmations blocks", async () => {
    await world.ok(["kyc-deploy"]);
    await world.ok(["tx-broadcast"]);
    const early = await world.ok(["tx-update", "--confirmations", "3"]);
    expect(early.stdout).toMatch(/mining:1/);
    expect(early.stdout).toMatch(/not final yet/);
    await world.provider.send("hardhat_mine", ["0x2"]);
    const final = await world.ok(["tx-update", "--confirmations", "3"]);
    expect(final.stdout).toMatch(/success:1/);
    const row = world.query<{ status: string; confirmations: number; block_hash: string; succeeded: number }>(
      "SELECT status, confirmations, block_hash, succeeded FROM prepared_transactions",
    )[0];
    expect(row).toMatchObject({ status: "success", confirmations: 3, succeeded: 1 });
    expect(row.block_hash).toBe((await world.provider.getBlock(1))?.hash);
  });

  it("records a failed transaction and why it failed", async () => {
    // Not enough for the token and the code extension its constructor creates (the deployment needs ~6,700,000).
    await world.ok(["--ethereum-gas-limit", "3000000", "issue", "--symbol=OOG", "--name=Out of gas", "--url=https://x", "--amount=1"]);
    await world.ok(["tx-broadcast"]);
    const update = await world.ok(["tx-update"]);
    expect(update.stdout).toMatch(/failed:/);
    // The extension's creation inside the constructor runs out of gas and the constructor's check of it
    // reverts ("require(false)" to the node): tx-update says it ran out of gas.
    expect(update.stderr).toMatch(
      /nonce \d+ \("Token contract for Out of gas"\) failed: out of gas \(limit 3000000\): a call inside it ran out of gas and the transaction reverted; it succeeds with more gas/,
    );
    // The later calls to the token that was never created are failures too, not silent successes.
    expect(update.stderr).toMatch(/Creating 1 initial share for Out of gas"\) failed: no contract at 0x/);
  });

  it("refuses to prepare a call that would revert, naming the contract's error", async () => {
    await world.ok(["kyc-deploy"]);
    await world.ok(["tx-broadcast"]);
    await world.ok(["tx-update"]);
    const before = world.query<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions")[0].n;
    const result = await world.sto([
      "--ethereum-private-key",
      SECOND_ACCOUNT_KEY,
      "kyc-manage",
      "--whitelist-address=0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/would fail: AccessControlUnauthorizedAccount\(0x70997970C51812dc3A010C7d01b50e0d17dc79C8, 0x/);
    expect(world.query<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions")[0].n).toBe(before);
  });

  it("reads receipts in JSON-RPC batches, and one by one from a node that refuses batches", async () => {
    const own = await startWorld({ automine: false });
    const proxy = await startRpcProxy(own.chain.url);
    try {
      const viaProxy = (args: string[]) => runSto(["--database-file", own.databaseFile, "--ethereum-node-url", proxy.url, ...args], { cwd: own.dir });
      await own.ok(["kyc-deploy"]);
      for (let i = 1; i <= 4; i++) await own.ok(["kyc-manage", `--whitelist-address=0x${String(i).padStart(40, "0")}`]);
      await own.ok(["tx-broadcast"]);
      await own.provider.send("hardhat_mine", ["0x1"]);
      const pending = own.query<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions WHERE status = 'broadcasted'")[0].n;
      expect(pending).toBeGreaterThanOrEqual(5);

      const batched = await viaProxy(["tx-update"]);
      expect(batched.code).toBe(0);
      expect(proxy.stats.methods["batch:eth_getTransactionReceipt"]).toBe(1);
      expect(proxy.stats.methods["eth_getTransactionReceipt"] ?? 0).toBe(0);
      expect(own.query<{ status: string }>("SELECT DISTINCT status FROM prepared_transactions")).toEqual([{ status: "success" }]);

      // A node that answers every batch with an error: the receipts are read one by one.
      proxy.setResponder((request, response) => {
        if (!request.method.startsWith("batch:")) return false;
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32600, message: "batch requests are not supported" } }));
        return true;
      });
      await own.ok(["kyc-manage", "--whitelist-address=0x0000000000000000000000000000000000000009"]);
      await own.provider.send("hardhat_mine", ["0x1"]);
      const single = await viaProxy(["tx-update"]);
      expect(single.code).toBe(0);
      expect(proxy.stats.methods["eth_getTransactionReceipt"]).toBeGreaterThanOrEqual(1);
      expect(own.query<{ status: string }>("SELECT DISTINCT status FROM prepared_transactions")).toEqual([{ status: "success" }]);
    } finally {
      await proxy.close();
      await own.close();
    }
  });
});
