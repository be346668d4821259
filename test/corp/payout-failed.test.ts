import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContractFactory, type Contract } from "ethers";
import { DEPLOYER, startWorld, tokenAddressFrom, type E2eWorld } from "../helpers/e2e";
import { addressAfter, artifacts, devWallet, distribute, units } from "../helpers/corp";

interface StatusJson {
  holders: { holder: string; status: string; due: string; dueUnits: string; failedPayment: { amount: string; amountUnits: string; txHash: string } | null }[];
  failedPayments: { holder: string; amount: string; amountUnits: string; txHash: string }[];
}

/**
 * A payout whose currency refuses one holder (a blocklist, like USDC's): payBatch pays the others
 * and emits PaymentFailed; payout-dividends and payout-status name the holder not paid and say what
 * to do; once the currency accepts the holder again, payout-dividends pays it.
 */
describe("a payment the payout currency refuses", () => {
  let world: E2eWorld;
  let currency: Contract;
  const [alice, bob] = [1, 2].map((index) => devWallet(index).address);

  beforeAll(async () => {
    world = await startWorld();
    const token = tokenAddressFrom(await world.ok(["issue", "--symbol=PFT", "--name=Payfail Corp", "--url=https://example.com", "--amount=1000"]));
    await world.ok(["tx-broadcast"]);
    await distribute(world, token, [alice, bob], [units(100), units(300)]);
    await world.ok(["tx-update"]);
    // The currency is deployed by another account, so the CLI's own nonces stay its own.
    const owner = devWallet(5, world.provider);
    const artifact = artifacts.get("BlocklistERC20");
    currency = (await new ContractFactory(artifact.abi, artifact.bytecode, owner).deploy()) as Contract;
    await currency.waitForDeployment();
    await (await currency.getFunction("transfer")(DEPLOYER, units(1000))).wait();
    const deployed = await world.ok([
      "payout-deploy",
      `--token-address=${token}`,
      `--payout-token-address=${await currency.getAddress()}`,
      "--payout-name=Dividend 2026",
      "--uri=https://example.com/dividend",
      "--type=0",
    ]);
    expect(addressAfter("Payout address will be", deployed.stdout)).toMatch(/^0x/);
    await world.ok(["payout-approve", "--amount=1000"]);
    await world.ok(["payout-deposit"]);
    await world.ok(["tx-broadcast"]);
    await world.ok(["tx-update"]);
    await (await currency.getFunction("setBlocked")(bob, true)).wait();
  }, 120_000);
  afterAll(() => world.close());

  it("reports the holder not paid, with the amount, the transaction and what to do; pays it once the currency accepts it", async () => {
    const first = await world.ok(["payout-dividends"]);
    expect(first.stdout).toMatch(/Paying 1000 BUSD to 2 holders in 1 transaction;/);
    await world.ok(["tx-broadcast"]);
    await world.ok(["tx-update"]);

    const status = await world.ok(["payout-status"]);
    const warning = status.stderr.split("\n").find((line) => line.includes("were not paid")) ?? "";
    expect(warning).toMatch(
      new RegExp(
        `1 holder\\(s\\) were not paid: the payout currency BUSD refused the transfer \\(PaymentFailed\\): ${bob} \\(750 BUSD, transaction 0x[0-9a-f]{64}\\)\\. They are still due\\. .*run payout-dividends again \\(it retries them\\) or let them payout-claim, before the expiry .*payout-reclaim returns what they were not paid`,
      ),
    );
    expect(status.stdout).toMatch(new RegExp(`${bob} .*750 .*payment failed`));
    expect(status.stdout).toMatch(new RegExp(`${alice} .*250 .*paid`));
    const json = JSON.parse((await world.ok(["--json", "payout-status"])).stdout) as StatusJson;
    expect(json.failedPayments).toEqual([expect.objectContaining({ holder: bob, amount: "750", amountUnits: units(750).toString() })]);
    expect(json.holders.find((row) => row.holder === bob)).toMatchObject({ status: "payment failed", due: "750", dueUnits: units(750).toString() });
    expect(json.holders.find((row) => row.holder === alice)).toMatchObject({ status: "paid", failedPayment: null });

    // payout-dividends says it too, and retries the holder.
    await (await currency.getFunction("setBlocked")(bob, false)).wait();
    const retry = await world.ok(["payout-dividends"]);
    expect(retry.stderr).toContain(`1 holder(s) were not paid: the payout currency BUSD refused the transfer (PaymentFailed): ${bob}`);
    expect(retry.stdout).toMatch(/Paying 750 BUSD to 1 holder in 1 transaction;/);
    await world.ok(["tx-broadcast"]);
    await world.ok(["tx-update"]);
    expect(await currency.getFunction("balanceOf")(bob)).toBe(units(750));

    const after = await world.ok(["--json", "payout-status"]);
    expect(after.stderr).not.toContain("were not paid");
    const paid = JSON.parse(after.stdout) as StatusJson;
    expect(paid.failedPayments).toEqual([]);
    expect(paid.holders.find((row) => row.holder === bob)).toMatchObject({ status: "paid", failedPayment: null });
  });
});
