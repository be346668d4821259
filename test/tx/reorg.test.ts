import { Wallet } from "ethers";
import { afterEach, describe, expect, it } from "vitest";
import { DEVELOPMENT_PRIVATE_KEY } from "../../src/chain/local-node";
import { startWorld, type E2eWorld } from "../helpers/e2e";

interface Row {
  status: string;
  tx_hash: string;
  raw_transaction: string;
  block_number: number | null;
  block_hash: string | null;
  revert_reason: string | null;
}

const row = (world: E2eWorld): Row => world.query<Row>("SELECT * FROM prepared_transactions ORDER BY nonce")[0];
const mine = (world: E2eWorld, blocks = 1): Promise<unknown> => world.provider.send("hardhat_mine", [`0x${blocks.toString(16)}`]);
const update = (world: E2eWorld) => world.ok(["tx-update", "--confirmations", "3"]);

describe("reorgs after tx-update", () => {
  let world: E2eWorld;
  afterEach(() => world?.close());

  it("a transaction mined again in another block after a reorg is recorded with its new block", async () => {
    world = await startWorld({ automine: false });
    await world.ok(["kyc-deploy"]);
    await world.ok(["tx-broadcast"]);
    const snapshot = await world.provider.send("evm_snapshot", []);
    await mine(world);
    await update(world);
    const before = row(world);
    expect(before).toMatchObject({ status: "mining", block_number: 1 });

    // The block is replaced by another one at the same height holding the same transaction.
    expect(await world.provider.send("evm_revert", [snapshot])).toBe(true);
    const head = await world.provider.getBlock("latest");
    await world.provider.send("evm_setNextBlockTimestamp", [(head?.timestamp ?? 0) + 100]);
    await mine(world);
    const replacement = await world.provider.getBlock(1);
    expect(replacement?.hash).not.toBe(before.block_hash);

    await update(world);
    expect(row(world)).toMatchObject({ status: "mining", block_number: 1, block_hash: replacement?.hash, tx_hash: before.tx_hash });
    await mine(world, 2);
    await update(world);
    expect(row(world)).toMatchObject({ status: "success", block_hash: replacement?.hash, tx_hash: before.tx_hash });
  });

  it("a transaction that a reorg removes goes back to pending, is resent with the same bytes and seen again", async () => {
    world = await startWorld({ automine: false });
    await world.ok(["kyc-deploy"]);
    const beforeBroadcast = await world.provider.send("evm_snapshot", []);
    await world.ok(["tx-broadcast"]);
    await mine(world);
    await update(world);
    const mined = row(world);
    expect(mined.status).toBe("mining");

    // The fork that wins never saw the transaction.
    expect(await world.provider.send("evm_revert", [beforeBroadcast])).toBe(true);
    await mine(world, 2);
    const after = await update(world);
    expect(after.stdout).toMatch(/dropped/);
    expect(row(world)).toMatchObject({ status: "dropped", block_number: null, block_hash: null });

    await world.ok(["tx-broadcast"]);
    await mine(world, 3);
    await update(world);
    expect(row(world)).toMatchObject({ status: "success", tx_hash: mined.tx_hash, raw_transaction: mined.raw_transaction });
    expect((await world.provider.getTransactionReceipt(mined.tx_hash))?.blockNumber).toBe(3);
  });

  it("a success whose block a reorg deeper than the confirmations removed is reported and sent again", async () => {
    world = await startWorld({ automine: false });
    await world.ok(["kyc-deploy"]);
    const beforeBroadcast = await world.provider.send("evm_snapshot", []);
    await world.ok(["tx-broadcast"]);
    await mine(world, 3);
    await update(world);
    const mined = row(world);
    expect(mined).toMatchObject({ status: "success", block_number: 1 });

    // A fork three blocks deep that never saw the transaction wins: more than the confirmations.
    expect(await world.provider.send("evm_revert", [beforeBroadcast])).toBe(true);
    await world.provider.send("evm_setNextBlockTimestamp", [Math.floor(Date.now() / 1000) + 1000]);
    await mine(world, 4);
    const after = await update(world);
    expect(after.stderr).toContain('warning: the chain was reorganised: nonce 0 ("Deploying KYC whitelist contract"), recorded as success in block 1, is no longer in that block');
    expect(row(world)).toMatchObject({ status: "dropped", block_number: null, block_hash: null });
    // Nothing left to report on the next run.
    expect((await update(world)).stderr).not.toMatch(/reorganised/);

    await world.ok(["tx-broadcast"]);
    await mine(world, 3);
    await update(world);
    expect(row(world)).toMatchObject({ status: "success", tx_hash: mined.tx_hash, raw_transaction: mined.raw_transaction, block_number: 5 });
  });

  it("a nonce taken by a transaction from elsewhere counts as failed only once that use has the confirmations", async () => {
    world = await startWorld({ automine: false });
    await world.ok(["kyc-deploy"]);
    await world.ok(["tx-broadcast"]);
    // The same key, used outside sto, replaces our pending transaction.
    const wallet = new Wallet(DEVELOPMENT_PRIVATE_KEY, world.provider);
    const theirs = await wallet.sendTransaction({ to: wallet.address, value: 1n, nonce: 0, maxFeePerGas: 10n ** 12n, maxPriorityFeePerGas: 10n ** 11n });
    await mine(world);
    await update(world);
    expect(row(world).status).toBe("broadcasted");
    await mine(world, 2);
    await update(world);
    expect(row(world)).toMatchObject({ status: "failed", revert_reason: "nonce used by a transaction not in this database" });
    expect(theirs.hash).not.toBe(row(world).tx_hash);
  });
});
