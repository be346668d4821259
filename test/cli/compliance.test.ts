import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Contract } from "ethers";
import { ContractArtifacts } from "../../src/contracts/artifacts";
import { runSto, type StoResult } from "../helpers/cli";
import { DEPLOYER, startWorld, tokenAddressFrom, worldFixture, type E2eWorld } from "../helpers/e2e";

// The compliance commands on the real CLI and a real chain: issue with rules, kyc-manage with
// classes, countries and expiry, compliance-check, compliance-set, pause/unpause, freeze/unfreeze,
// token-status; every change prepared, broadcast and confirmed, with notes saying what changed.
// Every test starts from a copy of its own of the same state: the KYC registry with the issuer,
// Alice and Bob listed, and the kyc token KYC issued with its rules, all mined.
const artifacts = new ContractArtifacts();
const ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const BOB = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const MULTICALL3 = "0xcA11bde05977b3631167028862bE2a173976CA11";
const MULTICALL3_CODE = (JSON.parse(fs.readFileSync(path.join(__dirname, "../../artifacts/contracts/test/Multicall3.sol/Multicall3.json"), "utf8")) as { deployedBytecode: string }).deployedBytecode;

interface NoteRow {
  note: string;
  status: string;
}

describe("compliance rules on the command line", () => {
  let chainWorld: E2eWorld;
  let fixture: Awaited<ReturnType<typeof worldFixture>>;
  let world: E2eWorld;
  let token: string;
  let issued: StoResult;
  const settle = async (): Promise<void> => {
    await world.ok(["tx-broadcast"]);
    await world.ok(["tx-update"]);
    const failed = world.query<NoteRow>("SELECT note, status FROM prepared_transactions WHERE status <> 'success'");
    expect(failed).toEqual([]);
  };
  const check = async (from: string, to: string, amount = "10"): Promise<{ code: number; rule: string; message: string; allowed: boolean }> =>
    JSON.parse((await world.ok(["--json", "compliance-check", `--token-address=${token}`, `--from=${from}`, `--to=${to}`, `--amount=${amount}`])).stdout);
  /** Runs `work` with Multicall3's code at its address (the local chain has none). */
  const withMulticall3 = async <T>(work: () => Promise<T>): Promise<T> => {
    await world.provider.send("hardhat_setCode", [MULTICALL3, MULTICALL3_CODE]);
    // Mined, so that the block the commands read at has the code (as in ledger-truth.test.ts).
    await world.provider.send("evm_mine", []);
    try {
      return await work();
    } finally {
      await world.provider.send("hardhat_setCode", [MULTICALL3, "0x"]);
    }
  };
  const lastNotes = (count: number): string[] =>
    world.query<NoteRow>("SELECT note FROM prepared_transactions ORDER BY id DESC LIMIT ?", count).map((row) => row.note).reverse();

  beforeAll(async () => {
    world = chainWorld = await startWorld();
    await world.ok(["kyc-deploy"]);
    await world.ok(["kyc-manage", `--whitelist-address=${DEPLOYER}`, "--investor-class=institutional", "--country=DE"]);
    await world.ok(["kyc-manage", `--whitelist-address=${ALICE}`, "--investor-class=accredited", "--country=US"]);
    await world.ok(["kyc-manage", `--whitelist-address=${BOB}`, "--investor-class=retail", "--country=de", "--kyc-expires=30d"]);
    await world.ok(["tx-update"]);
    issued = await world.ok([
      "issue",
      "--symbol=KYC",
      "--name=Kyc Corp",
      "--url=https://example.com",
      "--amount=1000",
      "--transfer-restriction=kyc",
      "--max-supply=2000",
      "--max-holders=3",
      "--max-balance=500",
      "--investor-classes=accredited,institutional",
      "--refused-countries=US,CA",
    ]);
    token = tokenAddressFrom(issued);
    await settle();
    fixture = await worldFixture(chainWorld);
  }, 180_000);
  beforeEach(async () => {
    world = await fixture.fresh();
  });
  afterAll(() => chainWorld.close());

  it("kyc-manage records class, country and expiry, with notes in words", async () => {
    const notes = world.query<NoteRow>("SELECT note FROM prepared_transactions WHERE note LIKE 'Listing%' ORDER BY id").map((row) => row.note);
    expect(notes[0]).toBe(`Listing ${DEPLOYER} in KYC contract: class institutional, country DE, KYC never expires`);
    expect(notes[2]).toMatch(new RegExp(`^Listing ${BOB} in KYC contract: class retail, country DE, KYC expires \\d{4}-\\d{2}-\\d{2}`));
    const kyc = world.query<{ contract_address: string }>("SELECT contract_address FROM prepared_transactions WHERE contract_name = 'BasicKYC' AND is_deployment = 1")[0].contract_address;
    const registry = new Contract(kyc, artifacts.get("BasicKYC").abi, world.provider);
    const [listed, investorClass, country] = (await registry.investor(ALICE)) as [boolean, bigint, bigint];
    expect([listed, investorClass, country]).toEqual([true, 1n, 840n]);
    const bad = await world.sto(["kyc-manage", `--whitelist-address=${ALICE}`, "--investor-class=whale"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split("\n").at(-1)).toMatch(/--investor-class: "whale" is not an investor class/);
  });

  it("issue sets the rules of a kyc token; token-status shows every active rule", async () => {
    // The fixture's issue (settled): its transactions are the last four.
    expect(issued.stdout).toContain(`Token address will be ${token}`);
    expect(lastNotes(4)).toEqual([
      "Token contract for Kyc Corp",
      "Compliance rules for Kyc Corp: mode kyc, max supply 2000, max holders 3, max balance 500, investor classes accredited,institutional",
      "Refusing receivers from US, CA for Kyc Corp",
      "Creating 1000 initial shares for Kyc Corp",
    ]);
    const status = await world.ok(["token-status", `--address=${token}`]);
    for (const line of [
      "Transfer restriction mode: kyc",
      "Paused: no",
      "Max supply: 2000",
      "Investor classes allowed: accredited, institutional",
      "Refused countries: CA, US",
      "Holders: 1 counted, limit 3",
      "Max balance per holder: 500",
    ]) {
      expect(status.stdout).toContain(line);
    }
    const json = JSON.parse((await world.ok(["--json", "token-status", `--address=${token}`])).stdout) as { compliance: { mode: string; refusedCountries: number[] } };
    expect(json.compliance.mode).toBe("kyc");
    expect(json.compliance.refusedCountries).toEqual([124, 840]);
  });

  it("compliance-check names the refusing rule; compliance-set changes rules with notes saying what changed", async () => {
    expect(await check(DEPLOYER, ALICE)).toMatchObject({ code: 12, rule: "receiver's country refused", allowed: false });
    expect((await check(DEPLOYER, BOB)).code).toBe(11);
    expect((await check(DEPLOYER, ALICE, "600")).code).toBe(12);
    const text = await world.ok(["compliance-check", `--token-address=${token}`, `--from=${DEPLOYER}`, `--to=${BOB}`, "--amount=1"]);
    expect(text.stdout).toMatch(/Refused: code 11 \(receiver's investor class not allowed\): Receiver's investor class not allowed/);

    await world.ok(["compliance-set", `--token-address=${token}`, "--allow-countries=US", "--max-balance=550", "--investor-classes=any"]);
    expect(lastNotes(3)).toEqual(["KYC: holder limit 3 -> 3, max balance 500 -> 550", "KYC: investor classes accredited,institutional -> any", "KYC: no longer refusing US"]);
    await settle();
    expect((await check(DEPLOYER, ALICE)).allowed).toBe(true);
    expect((await check(DEPLOYER, BOB)).allowed).toBe(true);
    expect((await check(DEPLOYER, ALICE, "551")).code).toBe(16);

    const raise = await world.sto(["compliance-set", `--token-address=${token}`, "--max-supply=3000"]);
    expect(raise.code).not.toBe(0);
    expect(raise.stderr).toMatch(/--max-supply: can only be lowered \(now 2000\)/);
    const wrongMode = await world.sto(["compliance-set", `--token-address=${token}`, "--release-time=2030-01-01"]);
    expect(wrongMode.stderr).toMatch(/--release-time: only for a time-locked token \(this one is kyc\)/);
  }, 240_000);

  it("pause/unpause and freeze/unfreeze: prepared, broadcast, confirmed, with the reason in the audit database", async () => {
    // Alice's country (US) allowed, so that only the pause and the freezes refuse her.
    await world.ok(["compliance-set", `--token-address=${token}`, "--allow-countries=US"]);
    await settle();
    expect((await check(DEPLOYER, ALICE)).allowed).toBe(true);
    await world.ok(["pause", `--token-address=${token}`]);
    await settle();
    expect((await check(DEPLOYER, ALICE)).code).toBe(1);
    const again = await world.sto(["pause", `--token-address=${token}`]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/is already paused/);
    await world.ok(["unpause", `--token-address=${token}`]);
    await settle();
    expect((await check(DEPLOYER, ALICE)).allowed).toBe(true);

    await world.ok(["freeze", `--token-address=${token}`, `--holder-address=${ALICE}`, "--reason=court order 12/2026"]);
    expect(lastNotes(1)).toEqual([`Freezing ${ALICE} on KYC: court order 12/2026`]);
    await settle();
    expect((await check(DEPLOYER, ALICE)).code).toBe(3);
    await world.ok(["unfreeze", `--token-address=${token}`, `--holder-address=${ALICE}`, "--reason=order lifted"]);
    await settle();
    expect((await check(DEPLOYER, ALICE)).allowed).toBe(true);

    await world.ok(["freeze", `--token-address=${token}`, `--holder-address=${DEPLOYER}`, "--amount=995", "--reason=escrow"]);
    expect(lastNotes(1)).toEqual([`Freezing 995 KYC of ${DEPLOYER}: escrow`]);
    await settle();
    expect((await check(DEPLOYER, ALICE, "6")).code).toBe(5);
    expect((await check(DEPLOYER, ALICE, "5")).allowed).toBe(true);
    const tooMuch = await world.sto(["unfreeze", `--token-address=${token}`, `--holder-address=${DEPLOYER}`, "--amount=996", "--reason=x"]);
    expect(tooMuch.stderr).toMatch(/--amount: only 995 of .* tokens are frozen/);
    const noReason = await world.sto(["freeze", `--token-address=${token}`, `--holder-address=${ALICE}`]);
    expect(noReason.code).not.toBe(0);
  }, 240_000);

  it("distribute-multiple checks every rule for every row and reports all violations at once; nothing is prepared", async () => {
    // The kyc token counts 1 holder (the issuer), limit 3; now max balance 550, US allowed (CA still
    // refused), every class the registry lists here.
    await world.ok(["compliance-set", `--token-address=${token}`, "--allow-countries=US", "--max-balance=550", "--investor-classes=accredited,institutional,retail"]);
    await settle();
    const carol = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
    const dave = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";
    const erin = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc";
    const frank = "0x976EA74026E726554dB657fA54763abd0C3a0aa9";
    await world.ok(["kyc-manage", `--whitelist-address=${dave},${erin}`, "--investor-class=accredited", "--country=FR"]);
    await world.ok(["kyc-manage", `--whitelist-address=${frank}`, "--investor-class=accredited", "--country=CA"]);
    await world.ok(["freeze", `--token-address=${token}`, `--holder-address=${erin}`, "--reason=dispute"]);
    await settle();
    const before = world.query<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions")[0].n;
    const csv = path.join(world.dir, "rules.csv");
    fs.writeFileSync(
      csv,
      [
        "external_id,email,name,address,amount",
        `r2,,Alice,${ALICE},100`, // row 2: new holder number 2
        `r3,,Alice again,${ALICE},500`, // row 3: Alice would hold 600 > 550
        `r4,,Carol,${carol},1`, // row 4: not in the registry
        `r5,,Dave,${dave},1`, // row 5: new holder number 3 (the limit)
        `r6,,Bob,${BOB},1`, // row 6: holder number 4: over the limit
        `r7,,Erin,${erin},1`, // row 7: frozen
        `r8,,Frank,${frank},1`, // row 8: country refused
      ].join("\n"),
    );
    const refused = await world.sto(["distribute-multiple", `--csv-input=${csv}`, `--address=${token}`]);
    expect(refused.code).not.toBe(0);
    const out = refused.stderr;
    // The receivers' answers read through Multicall3 (hundreds per eth_call) give the same refusals.
    const withMulticall = await withMulticall3(() => world.sto(["distribute-multiple", `--csv-input=${csv}`, `--address=${token}`]));
    expect(withMulticall.code).not.toBe(0);
    expect(withMulticall.stderr).toBe(out);
    expect(out).toMatch(/rules\.csv: 5 invalid rows, nothing prepared/);
    expect(out).toMatch(/rules\.csv:3: field amount "500": rule max balance \(ERC-1404 code 16\): .* would hold 600, more than the maximum 550/);
    expect(out).toMatch(/rules\.csv:4: field address "0x90F79bf6EB2c4f870365E785982E1f101E93b906": rule receiver not in the KYC registry \(ERC-1404 code 9\)/);
    expect(out).toMatch(/rules\.csv:6: field address "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC": rule holder limit \(ERC-1404 code 15\): this row would make .* holder number 4, and the token allows 3/);
    expect(out).toMatch(/rules\.csv:7: field address .*: rule receiver frozen \(ERC-1404 code 3\)/);
    expect(out).toMatch(/rules\.csv:8: field address .*: rule receiver's country refused \(ERC-1404 code 12\)/);
    expect(out).not.toMatch(/rules\.csv:[25]:/);
    expect(world.query<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions")[0].n).toBe(before);

    // A paused token refuses the whole file; distribute-single the same way.
    await world.ok(["pause", `--token-address=${token}`]);
    await settle();
    const paused = await world.sto(["distribute-single", `--token-address=${token}`, `--to-address=${dave}`, "--external-id=s1", "--email=", "--name=Dave", "--amount=1"]);
    expect(paused.code).not.toBe(0);
    expect(paused.stderr).toMatch(/rule paused \(ERC-1404 code 1\): Transfers paused: unpause it first/);
    await world.ok(["unpause", `--token-address=${token}`]);
    await settle();
    const single = await world.ok(["distribute-single", `--token-address=${token}`, `--to-address=${dave}`, "--external-id=s1", "--email=", "--name=Dave", "--amount=1"]);
    expect(single.stdout).toMatch(/Distributing 1 share to Dave/);
    await settle();
  }, 240_000);

  it("a later token shares the first one's code extension; bad rule options stop before anything is prepared", async () => {
    const before = world.query<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions")[0].n;
    for (const [args, message] of [
      [["--investor-classes=accredited"], /--investor-classes: only for --transfer-restriction kyc/],
      [["--transfer-restriction=kyc", "--refused-countries=XX"], /--refused-countries: "XX" is not an ISO 3166-1 country code/],
      [["--transfer-restriction=time-locked"], /--release-time: required with --transfer-restriction time-locked/],
      [["--max-supply=10"], /--amount: 100 is more than --max-supply/],
      [["--transfer-restriction=frozen"], /--transfer-restriction: "frozen" must be one of/],
    ] as const) {
      const bad = await world.sto(["issue", "--symbol=BAD", "--name=Bad", "--url=https://x", "--amount=100", ...args]);
      expect(bad.code, args.join(" ")).not.toBe(0);
      expect(bad.stderr.trim().split("\n").at(-1)).toMatch(message);
    }
    expect(world.query<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions")[0].n).toBe(before);

    const issued = await world.ok(["issue", "--symbol=TL", "--name=Locked Corp", "--url=https://x", "--amount=100", "--transfer-restriction=time-locked", "--release-time=90d"]);
    const second = tokenAddressFrom(issued);
    await settle();
    const abi = artifacts.get("SecurityToken").abi;
    const first = new Contract(token, abi, world.provider);
    const later = new Contract(second, abi, world.provider);
    expect(await later.extension()).toBe(await first.extension());
    const status = await world.ok(["token-status", `--address=${second}`]);
    expect(status.stdout).toMatch(/Transfer restriction mode: time-locked/);
    expect(status.stdout).toMatch(/Release time: \d{4}-\d{2}-\d{2}/);
  });
  it("on an unrestricted token, frozen receivers come from the token's events and limits from batched balances", async () => {
    const issued = await world.ok(["issue", "--symbol=FRZ", "--name=Frozen Corp", "--url=https://x", "--amount=1000", "--max-holders=3"]);
    const unrestricted = tokenAddressFrom(issued);
    await settle();
    const carol = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
    const dave = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";
    await world.ok(["freeze", `--token-address=${unrestricted}`, `--holder-address=${ALICE}`, "--reason=court order"]);
    await world.ok(["freeze", `--token-address=${unrestricted}`, `--holder-address=${BOB}`, "--reason=dispute"]);
    await settle();
    await world.ok(["unfreeze", `--token-address=${unrestricted}`, `--holder-address=${BOB}`, "--reason=dispute settled"]);
    await settle();
    const before = world.query<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions")[0].n;
    const csv = path.join(world.dir, "unrestricted.csv");
    fs.writeFileSync(
      csv,
      [
        "external_id,email,name,address,amount",
        `u2,,Alice,${ALICE},1`, // row 2: frozen
        `u3,,Bob,${BOB},1`, // row 3: unfrozen again: holder 2
        `u4,,Carol,${carol},1`, // row 4: holder 3 (the limit)
        `u5,,Dave,${dave},1`, // row 5: holder 4: over the limit
      ].join("\n"),
    );
    // A database that neither deployed nor scanned the token does not know its creation block: the
    // receivers' frozen flags are read instead of the token's events since genesis.
    const stranger = (args: string[]) => runSto(["--database-file", path.join(world.dir, "stranger.sqlite"), "--ethereum-node-url", world.chain.url, ...args], { cwd: world.dir });
    const runs = [
      () => world.sto(["distribute-multiple", `--csv-input=${csv}`, `--address=${unrestricted}`]),
      () => withMulticall3(() => world.sto(["distribute-multiple", `--csv-input=${csv}`, `--address=${unrestricted}`])),
      () => stranger(["distribute-multiple", `--csv-input=${csv}`, `--address=${unrestricted}`]),
    ];
    for (const run of runs) {
      const refused = await run();
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/unrestricted\.csv: 2 invalid rows, nothing prepared/);
      expect(refused.stderr).toMatch(/unrestricted\.csv:2: field address "0x70997970C51812dc3A010C7d01b50e0d17dc79C8": rule receiver frozen \(ERC-1404 code 3\): Receiver address frozen/);
      expect(refused.stderr).toMatch(/unrestricted\.csv:5: field address .*: rule holder limit \(ERC-1404 code 15\): this row would make .* holder number 4, and the token allows 3/);
      expect(refused.stderr).not.toMatch(/unrestricted\.csv:[34]:/);
    }
    expect(world.query<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions")[0].n).toBe(before);

    // A frozen sender stops the whole file, once.
    await world.ok(["freeze", `--token-address=${unrestricted}`, `--holder-address=${DEPLOYER}`, "--reason=audit"]);
    await settle();
    const frozenSender = await world.sto(["distribute-single", `--token-address=${unrestricted}`, `--to-address=${BOB}`, "--external-id=f1", "--email=", "--name=Bob", "--amount=1"]);
    expect(frozenSender.code).not.toBe(0);
    expect(frozenSender.stderr).toMatch(/rule sender frozen \(ERC-1404 code 2\): Sender address frozen: .* is frozen \(sto unfreeze\)/);
    await world.ok(["unfreeze", `--token-address=${unrestricted}`, `--holder-address=${DEPLOYER}`, "--reason=audit done"]);
    await settle();
    const fixed = await world.ok(["distribute-single", `--token-address=${unrestricted}`, `--to-address=${BOB}`, "--external-id=f1", "--email=", "--name=Bob", "--amount=1"]);
    expect(fixed.stdout).toMatch(/Distributing 1 share to Bob/);
    await settle();
  }, 300_000);
});
