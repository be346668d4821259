import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEPLOYER, tokenAddressFrom, worldOnNode, type E2eWorld } from "../helpers/e2e";
import { cast, startAnvil, type Anvil } from "../helpers/foundry";

// anvil's default accounts 1 and 2 (the public development mnemonic, as Hardhat's).
const ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const ALICE_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const BOB = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

interface Row {
  nonce: number;
  status: string;
  block_number: number | null;
  block_hash: string | null;
}

/**
 * The manual's tutorial on a node nobody here wrote, mining a block every second as a real network
 * does (nothing is mined when it is sent), with Foundry's cast as a second client of the token and
 * anvil_reorg taking a mined payment off the chain.
 */
describe("on Foundry's anvil with one-second blocks", () => {
  let anvil: Anvil;
  let world: Omit<E2eWorld, "chain">;
  let token: string;

  /** tx-update until every transaction has its final result (interval mining takes a block or two). */
  async function settle(): Promise<void> {
    for (let attempt = 0; attempt < 60; attempt++) {
      await world.ok(["tx-update"]);
      const open = world.query<{ open: number }>("SELECT count(*) AS open FROM prepared_transactions WHERE status NOT IN ('success', 'failed')")[0].open;
      if (open === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    throw new Error("transactions still not final after 60 tx-update runs");
  }

  function balance(capTable: string, address: string): string | undefined {
    const line = capTable.split("\n").find((text) => text.toLowerCase().includes(address.toLowerCase()));
    return line?.split("│").map((cell) => cell.trim()).at(-3);
  }

  beforeAll(async () => {
    anvil = await startAnvil({ blockTime: 1 });
    world = worldOnNode(anvil.url, () => anvil.close());
  });
  afterAll(() => world?.close());

  it("runs the restricted issuance tutorial, distributes from a CSV and sees a transfer made with cast", async () => {
    await world.ok(["kyc-deploy"]);
    // The tutorial's six transactions, from kyc-deploy's on, follow whatever the other tests of this world prepared.
    const before = world.query<{ last: number }>("SELECT max(nonce) AS last FROM prepared_transactions")[0].last - 1;
    await world.ok(["kyc-manage", `--whitelist-address=${DEPLOYER}`]);
    const issued = await world.ok(["issue", "--symbol=STO", "--name=Mikko's magic corp", "--url=https://tokenmarket.net", "--amount=10000", "--transfer-restriction=restricted"]);
    token = tokenAddressFrom(issued);
    await world.ok(["tx-broadcast"]);
    // Nothing is mined the moment it is sent: the first update sees the transactions pending.
    expect(world.query<Row>("SELECT status FROM prepared_transactions WHERE nonce = ?", before + 6)[0].status).toBe("broadcasted");
    await settle();
    expect(world.query<Row>("SELECT nonce, status FROM prepared_transactions WHERE nonce > ? ORDER BY nonce", before).map((row) => row.status)).toEqual(Array(6).fill("success"));

    await world.ok(["kyc-manage", `--whitelist-address=${ALICE}`]);
    await world.ok(["kyc-manage", `--whitelist-address=${BOB}`]);
    const csv = path.join(world.dir, "distribution.csv");
    fs.writeFileSync(csv, `address,amount,external_id,email,name\n${ALICE},100,1,alice@example.com,Alice\n${BOB},200,2,bob@example.com,Bob\n`);
    await world.ok(["distribute-multiple", `--csv-input=${csv}`, `--address=${token}`]);
    await world.ok(["tx-broadcast"]);
    await settle();

    // Alice moves 10 shares to Bob with another client; the scan and the cap table see it.
    cast(["send", token, "transfer(address,uint256)", BOB, "10000000000000000000", "--private-key", ALICE_KEY, "--rpc-url", anvil.url]);
    await world.ok(["token-scan", `--token-address=${token}`]);
    const ids = path.join(world.dir, "ids.csv");
    fs.writeFileSync(ids, `name,address\nAlice,${ALICE}\nBob,${BOB}\n`);
    const capTable = (await world.ok(["cap-table", `--identity-file=${ids}`, `--token-address=${token}`])).stdout;
    expect(balance(capTable, ALICE)).toBe("90.00");
    expect(balance(capTable, BOB)).toBe("210.00");
    expect(balance(capTable, DEPLOYER)).toBe("9700.00");
    expect(capTable).toMatch(/│ Alice\s+│/);
    // cast reads what sto wrote: the token's own view of Bob's balance.
    expect(cast(["call", token, "balanceOf(address)(uint256)", BOB, "--rpc-url", anvil.url])).toMatch(/^210000000000000000000\b/);
  });

  it("notices a reorganisation that took a mined payment off the chain, sends it again and scans again", async () => {
    // A token of its own: the test does not depend on the tutorial's (tests may run in any order).
    const token = tokenAddressFrom(await world.ok(["issue", "--symbol=ORG", "--name=Reorg corp", "--url=https://example.com", "--amount=1000"]));
    await world.ok(["tx-broadcast"]);
    await settle();
    const single = ["distribute-single", `--token-address=${token}`, "--to-address", ALICE, "--external-id=reorg-1", "--email=alice@example.com", "--name=Alice", "--amount=5"];
    await world.ok(single);
    await world.ok(["tx-broadcast"]);
    await settle();
    await world.ok(["token-scan", `--token-address=${token}`]);
    const [mined] = world.query<Row>("SELECT nonce, status, block_number, block_hash FROM prepared_transactions WHERE nonce = (SELECT max(nonce) FROM prepared_transactions)");
    expect(mined.status).toBe("success");

    // Mining paused before the head is read: a block mined in between would make the reorg one short.
    await anvil.rpc("evm_setIntervalMining", [0]);
    const head = Number(await anvil.rpc<string>("eth_blockNumber"));
    const nonceBefore = Number(await anvil.rpc<string>("eth_getTransactionCount", [DEPLOYER, "latest"]));
    // Mining stops across the reorganisation and the pool is emptied: anvil puts the orphaned
    // payment back in its pool and would mine it again within a second, before tx-update looks
    // (seen on a loaded machine), so the payment is made to leave the chain for good until resent.
    await anvil.rpc("anvil_reorg", [head - (mined.block_number as number) + 1, []]);
    await anvil.rpc("anvil_dropAllTransactions");
    // The reorganised chain no longer has the payment: the account's nonce went back.
    expect(Number(await anvil.rpc<string>("eth_getTransactionCount", [DEPLOYER, "latest"]))).toBe(nonceBefore - 1);

    const update = await world.ok(["tx-update"]);
    expect(update.stderr).toContain(`the chain was reorganised: nonce ${mined.nonce} ("Distributing 5 shares to Alice (alice@example.com)"), recorded as success in block ${mined.block_number}`);
    const [reopened] = world.query<Row>("SELECT status, block_number FROM prepared_transactions WHERE nonce = ?", mined.nonce);
    expect(reopened).toEqual({ status: "dropped", block_number: null });
    // Running it again is idempotent: the payment is prepared once, the same bytes are sent again.
    expect((await world.sto(single)).stdout).not.toMatch(/Distributing 5 shares/);

    await anvil.rpc("evm_setIntervalMining", [1]);
    await world.ok(["tx-broadcast"]);
    await settle();
    const [again] = world.query<Row>("SELECT nonce, status, block_number, block_hash FROM prepared_transactions WHERE nonce = ?", mined.nonce);
    expect(again.status).toBe("success");
    expect(again.block_hash).not.toBe(mined.block_hash);
    expect(world.query<{ rows: number }>("SELECT count(*) AS rows FROM prepared_transactions WHERE external_id = 'reorg-1'")[0].rows).toBe(1);

    const scan = await world.ok(["token-scan", `--token-address=${token}`]);
    expect(scan.stderr).toMatch(/the chain was reorganised: dropped blocks \d+-\d+ and scanning them again/);
    expect(balance((await world.ok(["cap-table", `--token-address=${token}`])).stdout, ALICE)).toBe("5.00");
    expect((await world.ok(["diagnose"])).stdout).toMatch(/Database and chain\s*│\s*agree/);
  });

  // A large distribution that fills block after block raises the base fee by 12.5 % a block, past
  // the fee cap its transactions were signed with; anvil then evicts them from its pool (geth keeps
  // them) and refuses the same bytes again. The wait must say why and what gets them mined.
  it("says a dropped transaction's fee cap is below the base fee, and tx-bump gets it mined", async () => {
    await anvil.rpc("evm_setIntervalMining", [0]);
    let nonce: number;
    try {
      await world.ok(["deploy-crowdsale-token"]);
      await world.ok(["tx-broadcast"]);
      const [row] = world.query<{ nonce: number; status: string; max_fee_per_gas: string }>(
        "SELECT nonce, status, max_fee_per_gas FROM prepared_transactions WHERE nonce = (SELECT max(nonce) FROM prepared_transactions)",
      );
      nonce = row.nonce;
      expect(row.status).toBe("broadcasted");
      const baseFee = BigInt(row.max_fee_per_gas) * 10n;
      await anvil.rpc("anvil_setNextBlockBaseFeePerGas", [`0x${baseFee.toString(16)}`]);
      await anvil.rpc("evm_mine", []);
      expect(await anvil.rpc("txpool_status")).toEqual({ pending: "0x0", queued: "0x0" });
      const waited = await world.sto(["tx-update", "--wait", "--timeout=60"]);
      expect(waited.code).toBe(1);
      expect(waited.stderr).toMatch(
        new RegExp(`^error: the node no longer knows nonces ${nonce}: their fee cap \\(as low as [0-9.]+ gwei\\) is below the network's base fee now \\([0-9.]+ gwei\\), so a node evicts them and refuses the same bytes again: raise their fees with sto tx-bump, then sto tx-update --wait$`, "m"),
      );
    } finally {
      await anvil.rpc("evm_setIntervalMining", [1]);
    }
    await world.ok(["tx-bump", `--nonce=${nonce}`]);
    await settle();
    expect(world.query<{ status: string }>("SELECT status FROM prepared_transactions WHERE nonce = ?", nonce)).toEqual([{ status: "success" }]);
  });
});
