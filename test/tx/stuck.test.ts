import { Contract } from "ethers";
import { afterEach, describe, expect, it } from "vitest";
import { DEPLOYER, startWorld, type E2eWorld } from "../helpers/e2e";

interface Row {
  id: number;
  nonce: number;
  status: string;
  tx_hash: string | null;
  raw_transaction: string | null;
  gas_limit: string;
  revert_reason: string | null;
  contract_address: string | null;
}

interface Version {
  tx_hash: string;
  kind: string;
  status: string;
  max_fee_per_gas: string | null;
  max_priority_fee_per_gas: string | null;
  gas_limit: string | null;
  node_error: string | null;
}

const rows = (world: E2eWorld): Row[] => world.query<Row>("SELECT * FROM prepared_transactions ORDER BY nonce");
const versions = (world: E2eWorld, nonce: number): Version[] =>
  world.query<Version>(
    "SELECT s.* FROM transaction_signatures s JOIN prepared_transactions t ON t.id = s.transaction_id WHERE t.nonce = ? ORDER BY s.id",
    nonce,
  );

const ISSUE = ["issue", "--symbol=STK", "--name=Stuck corp", "--url=https://stuck.example", "--amount=1000"];

const mine = (world: E2eWorld, blocks = 1): Promise<unknown> => world.provider.send("hardhat_mine", [`0x${blocks.toString(16)}`]);

/** The hashes the chain holds for the deployer, nonce by nonce. */
async function minedHashes(world: E2eWorld): Promise<Map<number, string>> {
  const head = await world.provider.getBlockNumber();
  const found = new Map<number, string>();
  for (let number = 1; number <= head; number++) {
    const block = await world.provider.getBlock(number, true);
    for (const tx of block?.prefetchedTransactions ?? []) {
      if (tx.from === DEPLOYER) {
        expect(found.has(tx.nonce), `nonce ${tx.nonce} mined twice`).toBe(false);
        found.set(tx.nonce, tx.hash);
      }
    }
  }
  return found;
}

describe("stuck, dropped and replaced transactions", () => {
  let world: E2eWorld;
  afterEach(() => world?.close());

  it("a transaction the node dropped is noticed by tx-update and resent with the same bytes by tx-broadcast", async () => {
    world = await startWorld({ automine: false });
    await world.ok(["kyc-deploy"]);
    await world.ok(["tx-broadcast"]);
    const [sent] = rows(world);
    expect(sent.status).toBe("broadcasted");
    expect(await world.provider.send("hardhat_dropTransaction", [sent.tx_hash])).toBe(true);

    const update = await world.ok(["tx-update"]);
    expect(update.stdout).toMatch(/dropped/);
    expect(rows(world)[0].status).toBe("dropped");

    const resend = await world.ok(["tx-broadcast"]);
    expect(resend.stdout).toMatch(/Pending 1 transaction /);
    expect(rows(world)[0]).toMatchObject({ status: "broadcasted", tx_hash: sent.tx_hash, raw_transaction: sent.raw_transaction });
    await mine(world);
    await world.ok(["tx-update"]);
    expect(rows(world)[0]).toMatchObject({ status: "success", tx_hash: sent.tx_hash });
    expect((await minedHashes(world)).get(0)).toBe(sent.tx_hash);
  });

  it("tx-bump replaces a pending transaction with higher fees; tx-update records the mined version and the replaced one", async () => {
    world = await startWorld({ automine: false });
    await world.ok(["kyc-deploy"]);
    await world.ok(["tx-broadcast"]);
    const [original] = rows(world);

    const bump = await world.ok(["tx-bump"]);
    const [bumped] = rows(world);
    expect(bumped.tx_hash).not.toBe(original.tx_hash);
    // The table names the new version and the one it replaces.
    expect(bump.stdout).toContain(bumped.tx_hash);
    expect(bump.stdout).toContain(original.tx_hash);
    expect(bump.stdout).toContain("Every version is recorded; run sto tx-update to see which one is mined.");
    const [first, second] = versions(world, 0);
    expect(second).toMatchObject({ kind: "bump", status: "pending", tx_hash: bumped.tx_hash });
    // At least the node's replacement rule (+10%) on both caps; the default is 15%.
    expect(BigInt(second.max_fee_per_gas ?? "0") * 100n).toBeGreaterThanOrEqual(BigInt(first.max_fee_per_gas ?? "0") * 115n);
    expect(BigInt(second.max_priority_fee_per_gas ?? "0") * 100n).toBeGreaterThanOrEqual(BigInt(first.max_priority_fee_per_gas ?? "0") * 115n);
    // The node holds the new version only.
    expect(await world.provider.getTransaction(original.tx_hash as string)).toBeNull();
    expect(await world.provider.getTransaction(bumped.tx_hash as string)).not.toBeNull();

    await mine(world);
    await world.ok(["tx-update"]);
    expect(rows(world)[0]).toMatchObject({ status: "success", tx_hash: bumped.tx_hash });
    expect(versions(world, 0).map((version) => version.status)).toEqual(["replaced", "mined"]);
    expect((await minedHashes(world)).get(0)).toBe(bumped.tx_hash);
  });

  it("recognises the earlier version when that is the one mined after a bump", async () => {
    world = await startWorld({ automine: false });
    await world.ok(["kyc-deploy"]);
    await world.ok(["tx-broadcast"]);
    const [original] = rows(world);
    await world.ok(["tx-bump", "--nonce", "0", "--fee-bump-percent", "25"]);
    const [bumped] = rows(world);
    // Another node still had the first version and a miner took it.
    await world.provider.send("hardhat_dropTransaction", [bumped.tx_hash]);
    await world.provider.send("eth_sendRawTransaction", [original.raw_transaction]);
    await mine(world);

    await world.ok(["tx-update"]);
    expect(rows(world)[0]).toMatchObject({ status: "success", tx_hash: original.tx_hash, raw_transaction: original.raw_transaction });
    expect(versions(world, 0).map((version) => version.status)).toEqual(["mined", "replaced"]);
    // Nothing more to bump or send: the nonce is used by one of ours.
    const again = await world.ok(["tx-broadcast"]);
    expect(again.stdout).toMatch(/No transactions to broadcast/);
  });

  it("tx-cancel replaces a pending transaction by a no-op; the original is recorded as failed (cancelled) and the later ones go through", async () => {
    world = await startWorld({ automine: false });
    await world.ok(ISSUE);
    await world.ok(["tx-broadcast"]);
    const cancel = await world.ok(["tx-cancel", "--nonce", "3"]);
    expect(cancel.stdout).toMatch(/cancel/);
    await mine(world);
    await world.ok(["tx-update"]);
    const final = rows(world);
    expect(final.map((row) => row.status)).toEqual(["success", "success", "success", "failed"]);
    expect(final[3].revert_reason).toMatch(/cancelled/);
    expect(versions(world, 3).map((version) => [version.kind, version.status])).toEqual([
      ["original", "replaced"],
      ["cancel", "mined"],
    ]);
    const minedCancel = await world.provider.getTransaction(final[3].tx_hash as string);
    expect(minedCancel).toMatchObject({ to: DEPLOYER, value: 0n, data: "0x", nonce: 3 });
    // The shares were never issued.
    const token = new Contract(final[0].contract_address as string, ["function totalSupply() view returns (uint256)"], world.provider);
    expect(await token.getFunction("totalSupply")()).toBe(0n);
    const mined = await minedHashes(world);
    expect(final.map((row) => row.tx_hash)).toEqual([0, 1, 2, 3].map((nonce) => mined.get(nonce)));
  });

  it("a transaction the node rejects as invalid is recorded, explained, and can be re-signed with another gas limit or cancelled", async () => {
    world = await startWorld();
    // The token deployment costs about 6,000,000 gas (docs/gas.md).
    await world.ok(["--ethereum-gas-limit", "9000000", ...ISSUE]);
    // The network lowers its block gas limit below what the transactions were prepared with.
    await world.provider.send("evm_setBlockGasLimit", [`0x${(8_500_000).toString(16)}`]);
    await mine(world);

    const rejected = await world.sto(["tx-broadcast"]);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/rejected transaction nonce 0 .*never accepted it.*sto tx-bump --nonce 0 --gas-limit <gas>.*sto tx-cancel --nonce 0/);
    expect(rejected.stderr).not.toMatch(/\n\s+at /);
    expect(rows(world).map((row) => row.status)).toEqual(["waiting", "waiting", "waiting", "waiting"]);
    expect(versions(world, 0)[0]).toMatchObject({ status: "rejected" });
    expect(versions(world, 0)[0].node_error).toMatch(/gas limit/i);
    // Resending cannot help and changes nothing.
    expect((await world.sto(["tx-broadcast"])).code).toBe(1);
    expect(await world.provider.getTransactionCount(DEPLOYER)).toBe(0);

    await world.ok(["tx-bump", "--nonce", "0", "--gas-limit", "7000000"]);
    expect(versions(world, 0).map((version) => [version.kind, version.status, version.gas_limit])).toEqual([
      ["original", "rejected", "9000000"],
      ["bump", "pending", "7000000"],
    ]);
    const second = await world.sto(["tx-broadcast"]);
    expect(second.stderr).toMatch(/rejected transaction nonce 1/);
    await world.ok(["tx-cancel", "--nonce", "1"]);
    await world.provider.send("evm_setBlockGasLimit", [`0x${(30_000_000).toString(16)}`]);
    await mine(world);
    await world.ok(["tx-broadcast"]);
    await world.ok(["tx-update"]);

    const final = rows(world);
    // Nonce 2 installs the transfer agent whose deployment was cancelled: it fails on its own.
    expect(final.map((row) => row.status)).toEqual(["success", "failed", "failed", "success"]);
    expect(final[0].gas_limit).toBe("7000000");
    expect(final[1].revert_reason).toMatch(/cancelled/);
    expect(final[2].revert_reason).not.toMatch(/cancelled/);
    expect(versions(world, 0).map((version) => version.status)).toEqual(["rejected", "mined"]);
    const mined = await minedHashes(world);
    expect(final.map((row) => row.tx_hash)).toEqual([0, 1, 2, 3].map((nonce) => mined.get(nonce)));
  });

  it("transactions signed with fees the network no longer accepts are re-signed by tx-bump", async () => {
    world = await startWorld();
    await world.ok(ISSUE);
    const killed = await world.sto(["tx-broadcast"], { env: { STO_FAULT_INJECTION: "after-sign" } });
    expect(killed.signal).toBe("SIGKILL");
    // Days later: the base fee is far above what the recorded versions allow.
    const [signed] = rows(world);
    const maxFee = BigInt(versions(world, 0)[0].max_fee_per_gas ?? "0");
    await world.provider.send("hardhat_setNextBlockBaseFeePerGas", [`0x${(maxFee * 20n).toString(16)}`]);
    await mine(world);

    const stale = await world.sto(["tx-broadcast"]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/fees are below what the network accepts now: re-sign it with higher fees: sto tx-bump --nonce 0/);

    await world.ok(["tx-bump"]);
    await world.ok(["tx-broadcast"]);
    await world.ok(["tx-update"]);
    const final = rows(world);
    expect(final.map((row) => row.status)).toEqual(["success", "success", "success", "success"]);
    expect(final[0].tx_hash).not.toBe(signed.tx_hash);
    const mined = await minedHashes(world);
    expect(final.map((row) => row.tx_hash)).toEqual([0, 1, 2, 3].map((nonce) => mined.get(nonce)));
  });

  it("refuses to replace what cannot be replaced, with one line each", async () => {
    world = await startWorld();
    await world.ok(["kyc-deploy"]);
    const unsigned = await world.sto(["tx-bump", "--nonce", "0"]);
    expect(unsigned.code).toBe(1);
    expect(unsigned.stderr).toMatch(/not signed yet/);
    await world.ok(["tx-broadcast"]);
    await world.ok(["tx-update"]);
    const mined = await world.sto(["tx-cancel", "--nonce", "0"]);
    expect(mined.stderr).toMatch(/is success .*only a transaction not yet mined can be replaced/);
    const missing = await world.sto(["tx-bump", "--nonce", "7"]);
    expect(missing.stderr).toMatch(/no transaction with nonce 7/);
    const small = await world.sto(["tx-bump", "--fee-bump-percent", "5"]);
    expect(small.stderr).toMatch(/--fee-bump-percent: "5" must be a number from 10/);
    const nothing = await world.ok(["tx-bump"]);
    expect(nothing.stdout).toMatch(/nothing to re-sign/);
    for (const result of [unsigned, mined, missing, small]) {
      expect(result.code).toBe(1);
      expect(result.stderr.split("\n").filter((line) => line.startsWith("error:"))).toHaveLength(1);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
