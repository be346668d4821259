import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEPLOYER, ENGINES, startWorld, tokenAddressFrom, type E2eWorld } from "../helpers/e2e";
import { addressAfter, contract, devWallet, distribute, expectRefused, units } from "../helpers/corp";

interface Results {
  name: string;
  open: boolean;
  checkpointId: string;
  options: { index: number; name: string; weight: string; weightUnits: string }[];
  voterCount: number;
  totalVotedWeight: string;
  eligibleSupply: string;
  eligibleSupplyUnits: string;
  voters: { voter: string; option: number; weight: string }[];
}

// On PostgreSQL too (issue 18).
describe.each(ENGINES)("a shareholder vote end to end (%s)", (engine) => {
  let world: E2eWorld;
  let token: string;
  let voting: string;
  const [alice, bob, carol] = [1, 2, 3].map((index) => devWallet(index));

  beforeAll(async () => {
    world = await startWorld({ engine });
    const kycAddress = addressAfter("KYC contract address will be", (await world.ok(["kyc-deploy"])).stdout);
    // Alice and Bob are identified; Carol is not (the token is unrestricted, the vote is KYC-only).
    await world.ok(["kyc-manage", `--whitelist-address=${alice.address},${bob.address}`]);
    token = tokenAddressFrom(await world.ok(["issue", "--symbol=VOTE", "--name=Vote corp", "--url=https://example.com", "--amount=1000"]));
    await world.ok(["tx-broadcast"]);
    await distribute(world, token, [alice.address, bob.address, carol.address], [units(100), units(250), units(50)]);
    await world.ok(["tx-update"]);

    // A checkpoint prepared and not mined yet: the vote's own checkpoint will come after it.
    expect((await world.ok(["checkpoint", `--token-address=${token}`])).stdout).toContain("Checkpoint id will be 1");
    const deployed = await world.ok([
      "voting-deploy",
      `--token-address=${token}`,
      `--kyc-address=${kycAddress}`,
      "--voting-name=abcd",
      "--uri=http://tokenmarket.net",
      "--type=0",
      "--option=For",
      "--option=Against",
      "--options=Abstain",
      "--end=7d",
    ]);
    expect(deployed.stdout).toContain("Ballot: 0 = For, 1 = Against, 2 = Abstain");
    expect(deployed.stdout).toContain(`Eligible: holders whitelisted in KYC contract ${kycAddress}`);
    expect(deployed.stdout).toContain("Record date: checkpoint 2, taken by the first transaction above (after 1 checkpoint(s) prepared earlier and not mined yet)");
    voting = addressAfter("Voting address will be", deployed.stdout);
    await world.ok(["tx-broadcast"]);
    await world.ok(["tx-update"]);
    // About fifteen CLI runs: on a loaded two-core machine they can take longer than one test's 120 s.
  }, 300_000);
  afterAll(() => world.close());

  it("tallies votes with the weights of the record date, whatever happens after it", async () => {
    // After the record date Alice sells everything to Carol: her vote still weighs 100, Carol's nothing more.
    const aliceTokens = contract(world, "SecurityToken", token).connect(alice.connect(world.provider));
    await (await aliceTokens.getFunction("transfer")(carol.address, units(100))).wait();

    const key = (wallet: { privateKey: string }) => ({ globals: ["--ethereum-private-key", wallet.privateKey] });
    // Alice's vote sent but not mined yet: a second vote is refused before it is prepared (kills the
    // missing pending check in prepareVote: voteOf() says "not voted" until the first is mined).
    await world.provider.send("evm_setAutomine", [false]);
    try {
      const voted = await world.ok(["vote", `--voting-address=${voting}`, "--option=for"], key(alice));
      expect(voted.stdout).toContain("Voting For in abcd with 100 VOTE");
      expect(voted.stdout).toMatch(/Pending 1 transaction for broadcasting/);
      expectRefused(
        await world.sto(["vote", `--voting-address=${voting}`, "--option=Against"], key(alice)),
        1,
        new RegExp(`^a vote of account ${alice.address} in abcd is pending in transaction 0x[0-9a-f]{64} \\(nonce \\d+, broadcasted\\): wait for it with \`sto tx-update --wait\`; not prepared a second time$`),
      );
    } finally {
      await world.provider.send("evm_setAutomine", [true]);
      await world.provider.send("evm_mine", []);
    }
    await world.ok(["tx-update"], key(alice));
    await world.ok(["vote", `--voting-address=${voting}`, "--option=1"], key(bob));

    const twice = await world.sto(["vote", `--voting-address=${voting}`, "--option=Against"], key(alice));
    expectRefused(twice, 1, `account ${alice.address} has already voted For in abcd; votes are final`);
    const carolVote = await world.sto(["vote", `--voting-address=${voting}`, "--option=For"], key(carol));
    expectRefused(carolVote, 1, `account ${carol.address} may not vote in abcd (excluded, or not whitelisted in its KYC contract)`);
    const issuer = await world.sto(["vote", `--voting-address=${voting}`, "--option=For"]);
    expectRefused(issuer, 1, `account ${DEPLOYER} may not vote in abcd (excluded, or not whitelisted in its KYC contract)`);
    const unknown = await world.sto(["vote", `--voting-address=${voting}`, "--option=Maybe"], key(bob));
    expectRefused(unknown, 1, '--option: "Maybe" is not an option of this vote; the options are 0 = For, 1 = Against, 2 = Abstain');

    const table = await world.ok(["voting-results", `--voting-address=${voting}`]);
    expect(table.stdout).toMatch(/│ +0 │ For +│ +100 │ +28\.57% │ +25\.00% │/);
    expect(table.stdout).toMatch(/│ +1 │ Against +│ +250 │ +71\.43% │ +62\.50% │/);
    expect(table.stdout).toContain("Voters: 2; voted 350 of 400 eligible VOTE (turnout 87.50%)");
    expect(table.stdout).toContain("Leading: Against");

    const results = JSON.parse((await world.ok(["--json", "voting-results", `--voting-address=${voting}`, "--voters"])).stdout) as Results;
    expect(results.options.map((option) => [option.name, BigInt(option.weightUnits)])).toEqual([
      ["For", units(100)],
      ["Against", units(250)],
      ["Abstain", 0n],
    ]);
    expect(results.voterCount).toBe(2);
    expect(results.checkpointId).toBe("2");
    expect(BigInt(results.eligibleSupplyUnits)).toBe(units(400));
    expect(results.eligibleSupply).toBe("400");
    expect(results.voters.map((vote) => [vote.voter, vote.option])).toEqual([
      [alice.address, 0],
      [bob.address, 1],
    ]);

    // Voters named by the cap table's identity file; a voter the file does not name stays unnamed.
    const ids = path.join(world.dir, "ids.csv");
    fs.writeFileSync(ids, `name,address\nAlice Founder,${alice.address.toLowerCase()}\n`);
    const named = await world.ok(["voting-results", `--voting-address=${voting}`, "--voters", `--identity-file=${ids}`, "--wide"]);
    expect(named.stdout).toMatch(new RegExp(`│ Name +│ Voter +│`));
    expect(named.stdout).toMatch(new RegExp(`│ Alice Founder +│ ${alice.address} +│ For +│ +100 │`));
    const namedJson = JSON.parse((await world.ok(["--json", "voting-results", `--voting-address=${voting}`, "--voters", `--identity-file=${ids}`])).stdout) as {
      voters: { name: string | null; voter: string }[];
    };
    expect(namedJson.voters.map((vote) => [vote.name, vote.voter])).toEqual([["Alice Founder", alice.address], [null, bob.address]]);
    // The votes were prepared in each holder's own account in the audit database.
    const rows = await world.rows<{ from_address: string; note: string; status: string }>("SELECT from_address, note, status FROM prepared_transactions WHERE function_signature = 'vote(uint256)' ORDER BY id");
    expect(rows.map((row) => row.from_address)).toEqual([alice.address, bob.address]);

    await world.provider.send("evm_increaseTime", [8 * 86_400]);
    await world.provider.send("evm_mine", []);
    const late = await world.sto(["vote", `--voting-address=${voting}`, "--option=Abstain"], key(bob));
    expectRefused(late, 1, /^vote abcd ended at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const closed = await world.ok(["voting-results", `--voting-address=${voting}`]);
    expect(closed.stdout).toContain("Most votes: Against");
  });
});
