import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZeroAddress } from "ethers";
import { DEPLOYER, startWorld, tokenAddressFrom, type E2eWorld } from "../helpers/e2e";
import { addressAfter, balanceOf, contract, devWallet, distribute, expectRefused, units } from "../helpers/corp";

/**
 * What a holder and the issuer do with a payout besides payout-dividends: a holder claims its own
 * payment, the issuer reclaims what is left after expiry; and the refusals around them, around
 * burn and force-transfer, and for an address of the wrong kind of contract. One restricted token
 * with two holders is shared (read-only); each test deploys the payout it needs.
 */
describe("payout-claim, payout-reclaim, burn and their refusals", () => {
  let world: E2eWorld;
  let token: string;
  let currency: string;
  const [alice, bob, carol] = [1, 2, 3].map((index) => devWallet(index).address);
  const asAlice = { globals: ["--ethereum-private-key", devWallet(1).privateKey] };

  /** A payout of 1000 CST on the token, deployed, funded and mined. */
  async function fundedPayout(name: string, expiry: string): Promise<string> {
    const deployed = await world.ok(["payout-deploy", `--token-address=${token}`, `--payout-token-address=${currency}`, `--payout-name=${name}`, "--uri=https://x.example", "--type=0", `--expiry=${expiry}`]);
    const payout = addressAfter("Payout address will be", deployed.stdout);
    await world.ok(["payout-approve", `--payout-address=${payout}`, "--amount=1000"]);
    await world.ok(["payout-deposit", `--payout-address=${payout}`]);
    await world.ok(["tx-broadcast"]);
    await world.ok(["tx-update"]);
    expect(await currencyOf(payout)).toBe(units(1000));
    return payout;
  }
  const currencyOf = (holder: string) => contract(world, "CrowdsaleToken", currency).getFunction("balanceOf")(holder) as Promise<bigint>;

  beforeAll(async () => {
    world = await startWorld();
    await world.ok(["kyc-deploy"]);
    await world.ok(["kyc-manage", `--whitelist-address=${DEPLOYER},${alice},${bob}`]);
    token = tokenAddressFrom(await world.ok(["issue", "--symbol=CLM", "--name=Claim corp", "--url=https://claim.example", "--amount=10000", "--transfer-restriction=restricted"]));
    currency = addressAfter("CrowdsaleToken address will be", (await world.ok(["deploy-crowdsale-token"])).stdout);
    await world.ok(["tx-broadcast"]);
    await distribute(world, token, [alice, bob], [units(100), units(300)]);
    await world.ok(["tx-update"]);
  }, 300_000);
  afterAll(() => world.close());

  it("a holder claims its own payment with its key, once", async () => {
    const payout = await fundedPayout("Claimable", "30d");
    const before = await currencyOf(alice);
    const claimed = await world.ok(["payout-claim", `--payout-address=${payout}`], asAlice);
    // The issuer is excluded: alice's 100 of the 400 eligible shares.
    expect(claimed.stdout).toContain(`Claiming 250 CST from payout Claimable (${payout})`);
    await world.ok(["tx-update"], asAlice);
    expect(await currencyOf(alice)).toBe(before + units(250));
    expect(await currencyOf(payout)).toBe(units(750));
    const row = world.query<{ from_address: string; function_signature: string; status: string }>(
      "SELECT from_address, function_signature, status FROM prepared_transactions WHERE to_address = ? AND function_signature = 'claim()'",
      payout,
    );
    expect(row).toEqual([{ from_address: alice, function_signature: "claim()", status: "success" }]);

    expectRefused(await world.sto(["payout-claim", `--payout-address=${payout}`], asAlice), 1, `nothing to claim: account ${alice} has been paid everything due from payout Claimable`);
    expectRefused(await world.sto(["payout-claim", `--payout-address=${payout}`]), 1, `account ${DEPLOYER} is not eligible for payout Claimable (excluded, or not whitelisted in its KYC contract)`);
    const asCarol = { globals: ["--ethereum-private-key", devWallet(3).privateKey] };
    expectRefused(await world.sto(["payout-claim", `--payout-address=${payout}`], asCarol), 1, `account ${carol} is not eligible for payout Claimable (excluded, or not whitelisted in its KYC contract)`);
  });

  // Kills the missing pending check in prepareClaim: a second payout-claim before the first is
  // mined would prepare and send a second claim() (claimable() is unchanged until then), which the
  // contract answers with nothing to pay, at the holder's gas.
  it("refuses a second claim while the first is not mined yet", async () => {
    const payout = await fundedPayout("Pending", "30d");
    const claims = () =>
      world.query<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions WHERE to_address = ? AND function_signature = 'claim()'", payout)[0].n;
    await world.provider.send("evm_setAutomine", [false]);
    try {
      await world.ok(["payout-claim", `--payout-address=${payout}`], asAlice);
      expectRefused(
        await world.sto(["payout-claim", `--payout-address=${payout}`], asAlice),
        1,
        new RegExp(`^a claim of account ${alice} from payout Pending is pending in transaction 0x[0-9a-f]{64} \\(nonce \\d+, broadcasted\\): wait for it with \`sto tx-update --wait\`; not prepared a second time$`),
      );
      expect(claims()).toBe(1);
    } finally {
      await world.provider.send("evm_setAutomine", [true]);
      await world.provider.send("evm_mine", []);
    }
    await world.ok(["tx-update"], asAlice);
    expect(await currencyOf(payout)).toBe(units(750));
    expectRefused(await world.sto(["payout-claim", `--payout-address=${payout}`], asAlice), 1, `nothing to claim: account ${alice} has been paid everything due from payout Pending`);
  });

  it("the issuer reclaims what is left once the payout has expired, and nothing before", async () => {
    const payout = await fundedPayout("Expiring", "1h");
    const early = await world.sto(["payout-reclaim", `--payout-address=${payout}`]);
    expectRefused(early, 1, /^payout Expiring expires at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: its funds can be reclaimed only from then on$/);

    await world.provider.send("evm_increaseTime", [7200]);
    await world.provider.send("evm_mine", []);
    expectRefused(await world.sto(["payout-claim", `--payout-address=${payout}`], asAlice), 1, "payout Expiring has expired: nothing can be claimed any more");
    const before = await currencyOf(DEPLOYER);
    const reclaimed = await world.ok(["payout-reclaim", `--payout-address=${payout}`]);
    expect(reclaimed.stdout).toContain(`Reclaiming 1000 CST to ${DEPLOYER}`);
    // Prepared, not sent: a second reclaim would only burn gas (kills the missing pending check in prepareReclaim).
    expectRefused(
      await world.sto(["payout-reclaim", `--payout-address=${payout}`]),
      1,
      /^a reclaim of payout Expiring's funds is prepared in transaction nonce \d+ but not sent yet: send it and wait for it with `sto tx-broadcast --wait`; not prepared a second time$/,
    );
    await world.ok(["tx-broadcast"]);
    await world.ok(["tx-update"]);
    expect(await currencyOf(DEPLOYER)).toBe(before + units(1000));
    expect(await currencyOf(payout)).toBe(0n);
    expectRefused(await world.sto(["payout-reclaim", `--payout-address=${payout}`]), 1, "payout Expiring holds nothing to reclaim");
  });

  it("burns shares of the issuer's treasury", async () => {
    const tokenContract = contract(world, "SecurityToken", token);
    const [supply, treasury] = [(await tokenContract.getFunction("totalSupply")()) as bigint, await balanceOf(world, token, DEPLOYER)];
    await world.ok(["burn", `--token-address=${token}`, "--amount=12.5"]);
    await world.ok(["tx-broadcast"]);
    await world.ok(["tx-update"]);
    expect(await tokenContract.getFunction("totalSupply")()).toBe(supply - units(25) / 2n);
    expect(await balanceOf(world, token, DEPLOYER)).toBe(treasury - units(25) / 2n);
  });

  it("refuses a forced transfer to the same holder or to the zero address", async () => {
    const before = world.query<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions")[0].n;
    const force = (to: string) => world.sto(["force-transfer", `--token-address=${token}`, `--from=${alice}`, `--to=${to}`, "--amount=1", "--reason=Court order 5"]);
    expectRefused(await force(alice), 1, "--to: must differ from --from");
    expectRefused(await force(ZeroAddress), 1, "--to: shares cannot be moved to the zero address; use burn");
    expect(world.query<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions")[0].n).toBe(before);
  });

  it("refuses an address that is not the kind of contract the option names", async () => {
    expectRefused(await world.sto(["payout-status", `--payout-address=${token}`]), 1, `--payout-address: ${token} is not a Payout contract`);
    expectRefused(await world.sto(["payout-claim", `--payout-address=${currency}`], asAlice), 1, `--payout-address: ${currency} is not a Payout contract`);
    expectRefused(await world.sto(["voting-results", `--voting-address=${token}`]), 1, `--voting-address: ${token} is not a Voting contract`);
    expectRefused(await world.sto(["vote", `--voting-address=${currency}`, "--option=For"], asAlice), 1, `--voting-address: ${currency} is not a Voting contract`);
    expectRefused(await world.sto(["payout-reclaim", `--payout-address=${token}`]), 1, `--payout-address: ${token} is not a Payout contract`);
    expectRefused(await world.sto(["payout-deposit", `--payout-address=${currency}`]), 1, `--payout-address: ${currency} is not a Payout contract`);
  });
});
