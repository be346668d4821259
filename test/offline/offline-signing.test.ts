import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Contract, Interface, Wallet, id } from "ethers";
import { ContractArtifacts } from "../../src/contracts/artifacts";
import { closedNodeUrl, runSto } from "../helpers/cli";
import { startWorld, tokenAddressFrom, worldFixture, type E2eWorld } from "../helpers/e2e";

// Hardhat development account #1: its key is given only to tx-sign, never to a networked command.
const OFFLINE_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const OFFLINE_ADDRESS = new Wallet(OFFLINE_KEY).address;
const artifacts = new ContractArtifacts();
const watchOnly = ["--ethereum-account-address", OFFLINE_ADDRESS];

// Each test on a fresh chain and an empty database (a copy of the empty start): the nonces it expects are its own.
describe("offline signing: tx-export → tx-sign (no node, no database) → tx-import → tx-broadcast", () => {
  let chainWorld: E2eWorld;
  let fixture: Awaited<ReturnType<typeof worldFixture>>;
  let world: E2eWorld;
  beforeAll(async () => {
    chainWorld = await startWorld();
    fixture = await worldFixture(chainWorld);
  });
  beforeEach(async () => {
    world = await fixture.fresh();
  });
  afterAll(() => chainWorld.close());

  it("issues a token with a key that never touches the networked machine", async () => {
    const issued = await world.ok(["issue", "--symbol=OFF", "--name=Offline corp", "--url=https://off.example", "--amount=700"], { globals: watchOnly });
    const token = tokenAddressFrom(issued);
    const unsentBroadcast = await world.sto(["tx-broadcast"], { globals: watchOnly });
    expect(unsentBroadcast.code).toBe(1);
    expect(unsentBroadcast.stderr).toMatch(/not signed and no key is configured: sign it offline/);

    const unsigned = path.join(world.dir, "unsigned.json");
    await world.ok(["tx-export", "--output", unsigned], { globals: watchOnly });
    const exported = JSON.parse(fs.readFileSync(unsigned, "utf8")) as { from: string; chainId: number; transactions: { nonce: number }[] };
    expect(exported).toMatchObject({ from: OFFLINE_ADDRESS, chainId: 31337 });
    expect(exported.transactions.map((tx) => tx.nonce)).toEqual([0, 1, 2, 3]);

    // The offline machine: no reachable node, no database.
    const signedFile = path.join(world.dir, "signed.json");
    const offlineDatabase = path.join(world.dir, "offline-never-created.sqlite");
    const signed = await runSto(
      ["--ethereum-node-url", await closedNodeUrl(), "--database-file", offlineDatabase, "--ethereum-private-key", OFFLINE_KEY, "tx-sign", "--yes", "--input", unsigned, "--output", signedFile],
      { cwd: world.dir },
    );
    expect(signed.code, signed.stderr).toBe(0);
    expect(fs.existsSync(offlineDatabase)).toBe(false);
    // What is signed is shown decoded from the bytes: the deployment, its constructor and the amount.
    expect(signed.stdout).toContain("deploys   SecurityToken constructor(string name_, string symbol_, string url_, address extension_)");
    expect(signed.stdout).toContain('name_ (string) = "Offline corp"');
    expect(signed.stdout).toMatch(/calls {5}SecurityToken\.issueTokens\(uint256 value\)/);
    expect(signed.stdout).toContain("value (uint256) = 700.0 (700000000000000000000 base units)");
    expect(signed.stdout).toMatch(/chain id 31337/);
    expect(signed.stdout + signed.stderr).not.toContain(OFFLINE_KEY.slice(2));

    const imported = await world.ok(["tx-import", "--input", signedFile], { globals: watchOnly });
    expect(imported.stdout).toMatch(/Imported 4 signed transactions/);
    const again = await world.ok(["tx-import", "--input", signedFile], { globals: watchOnly });
    expect(again.stdout).toContain("Nothing new imported: all 4 transactions were imported before");
    expect(again.stdout).not.toContain("TXID");

    await world.ok(["tx-broadcast"], { globals: watchOnly });
    const update = await world.ok(["tx-update"], { globals: watchOnly });
    expect(update.stdout.match(/success:/g)).toHaveLength(4);
    const contract = new Contract(token, artifacts.get("SecurityToken").abi, world.provider);
    expect(await contract.getFunction("balanceOf")(OFFLINE_ADDRESS)).toBe(700n * 10n ** 18n);
    expect(fs.readFileSync(world.databaseFile).includes(Buffer.from(OFFLINE_KEY.slice(2)))).toBe(false);
  });

  it("refuses a signed file that is not the transaction prepared", async () => {
    await world.ok(["kyc-deploy"], { globals: watchOnly });
    const unsigned = path.join(world.dir, "unsigned2.json");
    await world.ok(["tx-export", "--output", unsigned], { globals: watchOnly });
    const document = JSON.parse(fs.readFileSync(unsigned, "utf8")) as { transactions: { data: string }[] };
    document.transactions[0].data = `${document.transactions[0].data}00`;
    fs.writeFileSync(unsigned, JSON.stringify(document));
    const signedFile = path.join(world.dir, "tampered.json");
    await world.ok(["--ethereum-private-key", OFFLINE_KEY, "tx-sign", "--yes", "--input", unsigned, "--output", signedFile]);
    const result = await world.sto(["tx-import", "--input", signedFile], { globals: watchOnly });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/is not the one prepared \(different call data\)/);
    expect(world.query<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions WHERE raw_transaction IS NULL")[0].n).toBe(1);

    const wrongKey = await world.sto(["tx-sign", "--yes", "--input", unsigned, "--output", path.join(world.dir, "x.json")]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/prepared for 0x70997970C51812dc3A010C7d01b50e0d17dc79C8, but the key is for 0xf39F/);
  });
});

describe("tx-sign shows what it signs", () => {
  it("decodes a tampered transfer, whatever its note says, and signs nothing without a yes", async () => {
    const world = await startWorld();
    try {
      const issued = await world.ok(["issue", "--symbol=TMP", "--name=Tamper corp", "--url=https://t.example", "--amount=100"], { globals: watchOnly });
      const token = tokenAddressFrom(issued);
      const unsigned = path.join(world.dir, "unsigned.json");
      await world.ok(["tx-export", "--output", unsigned], { globals: watchOnly });
      // An attacker replaces the issuance by a transfer of 99 shares to their address, keeping the note.
      const attacker = "0x000000000000000000000000000000000000dEaD";
      const document = JSON.parse(fs.readFileSync(unsigned, "utf8")) as { transactions: { to: string | null; data: string; note: string }[] };
      const issuance = document.transactions[3];
      const note = issuance.note;
      issuance.data = new Interface(artifacts.get("SecurityToken").abi).encodeFunctionData("transfer", [attacker, 99n * 10n ** 18n]);
      document.transactions.push({ ...issuance, to: attacker, data: "0xdeadbeef", note: "harmless" } as never);
      fs.writeFileSync(unsigned, JSON.stringify(document));

      const signedFile = path.join(world.dir, "signed.json");
      const sign = (extra: string[]) =>
        runSto(["--ethereum-private-key", OFFLINE_KEY, "tx-sign", ...extra, "--input", unsigned, "--output", signedFile], { cwd: world.dir });
      // No terminal and no --yes: it shows and refuses.
      const refused = await sign([]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/no terminal to ask on: read the transactions above and give --yes/);
      expect(fs.existsSync(signedFile)).toBe(false);
      const shown = refused.stdout;
      expect(shown).toMatch(/calls {5}SecurityToken\.transfer\(address to, uint256 value\)/);
      expect(shown).toContain(`on        ${token}`);
      expect(shown).toContain(`to (address) = ${attacker}`);
      expect(shown).toContain("value (uint256) = 99.0 (99000000000000000000 base units)");
      expect(shown).toContain(`note      ${JSON.stringify(note)} (written by the exporting machine, not verified)`);
      expect(shown).toMatch(/UNKNOWN {3}a function sto does not know \(selector 0xdeadbeef, 0 bytes of arguments\)/);
      expect(refused.stderr).toMatch(/warning: 1 of the transactions could not be decoded: signing them is signing blind/);
      // Notes are one line, however they were written.
      document.transactions[0].note = "Deploy\nerror: forged";
      fs.writeFileSync(unsigned, JSON.stringify(document));
      const oneLine = await sign(["--yes"]);
      expect(oneLine.code, oneLine.stderr).toBe(0);
      expect(oneLine.stdout.split("\n").some((line) => line.startsWith("error:"))).toBe(false);
      expect(oneLine.stdout).toContain('"Deploy\\nerror: forged"');
      expect(fs.existsSync(signedFile)).toBe(true);
    } finally {
      await world.close();
    }
  });
});

describe("tx-export --format safe", () => {
  it("writes the waiting calls of a Safe account as a Transaction Builder batch", async () => {
    const world = await startWorld();
    try {
      // The issuer deploys KYC from its own account and makes the "Safe" a whitelister.
      await world.ok(["kyc-deploy"]);
      await world.ok(["tx-broadcast"]);
      const kycAddress = world.query<{ contract_address: string }>("SELECT contract_address FROM prepared_transactions")[0].contract_address;
      const safe = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
      const deployer = new Wallet("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80", world.provider);
      const kyc = new Contract(kycAddress, artifacts.get("BasicKYC").abi, deployer);
      await (await kyc.getFunction("grantRole")(id("WHITELISTER_ROLE"), safe)).wait();

      const investor = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";
      const prepared = await world.ok(["--ethereum-account-address", safe, "kyc-manage", `--whitelist-address=${investor}`]);
      expect(prepared.stdout).toMatch(/Prepared \(the key is not on this machine\)/);
      const file = path.join(world.dir, "safe-batch.json");
      await world.ok(["--ethereum-account-address", safe, "tx-export", "--format", "safe", "--output", file]);
      const batch = JSON.parse(fs.readFileSync(file, "utf8")) as {
        version: string;
        chainId: string;
        createdAt: number;
        meta: { createdFromSafeAddress: string; name: string };
        transactions: { to: string; value: string; data: string | null; contractMethod: { name: string; inputs: { name: string; type: string }[]; payable: boolean }; contractInputsValues: Record<string, string> }[];
      };
      expect(batch.version).toBe("1.0");
      expect(batch.chainId).toBe("31337");
      expect(Math.abs(batch.createdAt - Date.now())).toBeLessThan(60_000);
      expect(batch.meta.createdFromSafeAddress).toBe(safe);
      expect(batch.transactions).toHaveLength(1);
      expect(batch.transactions[0]).toMatchObject({
        to: kycAddress,
        value: "0",
        contractMethod: { name: "addToWhitelist", inputs: [{ name: "account", type: "address" }], payable: false },
        contractInputsValues: { account: investor },
      });
      expect(world.query<{ status: string }>("SELECT status FROM prepared_transactions ORDER BY id DESC LIMIT 1")[0].status).toBe("exported");
      const deployment = await world.sto(["--ethereum-account-address", safe, "kyc-deploy"]);
      expect(deployment.stdout).toMatch(/already deployed/);
    } finally {
      await world.close();
    }
  });
});

/**
 * tx-import takes nothing it cannot match to a waiting transaction of this database and this
 * chain, signed by the prepared account; tx-export and tx-sign never overwrite a file. Every
 * refusal leaves the database as it was. Every test starts from a copy of its own of the same
 * state: a KYC deployment prepared for the offline account, exported and signed, not imported.
 */
describe("tx-import refusals and the files tx-export and tx-sign will not overwrite", () => {
  let chainWorld: E2eWorld;
  let fixture: Awaited<ReturnType<typeof worldFixture>>;
  let world: E2eWorld;
  let unsigned: string;
  let signed: string;
  // Hardhat development account #2: a key that is not the prepared account's.
  const OTHER_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
  beforeAll(async () => {
    world = chainWorld = await startWorld();
    await world.ok(["kyc-deploy"], { globals: watchOnly });
    unsigned = path.join(world.dir, "unsigned.json");
    signed = path.join(world.dir, "signed.json");
    await world.ok(["tx-export", "--output", unsigned], { globals: watchOnly });
    await world.ok(["--ethereum-private-key", OFFLINE_KEY, "tx-sign", "--yes", "--input", unsigned, "--output", signed]);
    fixture = await worldFixture(chainWorld);
  });
  beforeEach(async () => {
    world = await fixture.fresh();
  });
  afterAll(() => chainWorld.close());

  const signatures = () => world.query<{ n: number }>("SELECT count(*) AS n FROM transaction_signatures")[0].n;
  const variant = (name: string, change: (document: { chainId: number; transactions: { id: number; raw: string }[] }) => void): string => {
    const document = JSON.parse(fs.readFileSync(signed, "utf8")) as { chainId: number; transactions: { id: number; raw: string }[] };
    change(document);
    const file = path.join(world.dir, name);
    fs.writeFileSync(file, JSON.stringify(document));
    return file;
  };
  const importing = (file: string) => world.sto(["tx-import", "--input", file], { globals: watchOnly });
  const errors = (stderr: string) => stderr.split("\n").filter((line) => line.startsWith("error: "));

  it("refuses a malformed file, a file of another chain and an id this database does not have", async () => {
    const before = signatures();
    const notJson = path.join(world.dir, "not-json.json");
    fs.writeFileSync(notJson, "{ this is not json");
    const malformed = await importing(notJson);
    expect({ code: malformed.code, errors: errors(malformed.stderr) }).toEqual({ code: 1, errors: [expect.stringMatching(new RegExp(`^error: ${notJson.replace(/[.]/g, "\\.")}: not valid JSON \\(`))] });
    const unsignedInstead = await importing(unsigned);
    expect({ code: unsignedInstead.code, errors: errors(unsignedInstead.stderr) }).toEqual({
      code: 1,
      errors: [`error: ${unsigned}: not a file written by "sto tx-sign" (format sto-signed-transactions, version 1)`],
    });
    const badRaw = variant("bad-raw.json", (document) => (document.transactions[0].raw = "0x02zz"));
    const notRaw = await importing(badRaw);
    expect({ code: notRaw.code, errors: errors(notRaw.stderr) }).toEqual({
      code: 1,
      errors: [`error: ${badRaw}: transactions[0].raw is not a hex-encoded signed transaction`],
    });

    const otherChain = variant("other-chain.json", (document) => (document.chainId = 1));
    const wrongChain = await importing(otherChain);
    expect({ code: wrongChain.code, errors: errors(wrongChain.stderr) }).toEqual({ code: 4, errors: [`error: ${otherChain}: signed for chain id 1, but the node is on chain id 31337`] });

    const unknownId = variant("unknown-id.json", (document) => (document.transactions[0].id = 999_999));
    const unknown = await importing(unknownId);
    expect({ code: unknown.code, errors: errors(unknown.stderr) }).toEqual({ code: 1, errors: [`error: ${unknownId}: transactions[0] (nonce 0): no prepared transaction 999999 in ${world.databaseFile}`] });
    expect(signatures()).toBe(before);
  });

  it("refuses a transaction signed by another key, and a second signature for a nonce", async () => {
    const before = signatures();
    // The offline machine signs with a key that is not the prepared account's (tx-sign refuses
    // that unless the file names that account: an attacker's or a mistaken edit).
    const forged = JSON.parse(fs.readFileSync(unsigned, "utf8")) as { from: string; transactions: { maxFeePerGas?: string }[] };
    forged.from = new Wallet(OTHER_KEY).address;
    const forgedUnsigned = path.join(world.dir, "forged-unsigned.json");
    fs.writeFileSync(forgedUnsigned, JSON.stringify(forged));
    const forgedSigned = path.join(world.dir, "forged-signed.json");
    await world.ok(["--ethereum-private-key", OTHER_KEY, "tx-sign", "--yes", "--input", forgedUnsigned, "--output", forgedSigned]);
    const otherSigner = await importing(forgedSigned);
    expect({ code: otherSigner.code, errors: errors(otherSigner.stderr) }).toEqual({
      code: 1,
      errors: [`error: ${forgedSigned}: transactions[0] (nonce 0): the signed transaction is not the one prepared (signed by ${new Wallet(OTHER_KEY).address}, prepared for ${OFFLINE_ADDRESS})`],
    });
    expect(signatures()).toBe(before);

    // Imported once; then the same transaction signed again with other fees is another signature.
    await world.ok(["tx-import", "--input", signed], { globals: watchOnly });
    const imported = signatures();
    expect(imported).toBe(before + 1);
    const refee = JSON.parse(fs.readFileSync(unsigned, "utf8")) as { transactions: { maxFeePerGas: string }[] };
    refee.transactions[0].maxFeePerGas = (BigInt(refee.transactions[0].maxFeePerGas) + 1n).toString();
    const refeeUnsigned = path.join(world.dir, "refee-unsigned.json");
    fs.writeFileSync(refeeUnsigned, JSON.stringify(refee));
    const refeeSigned = path.join(world.dir, "refee-signed.json");
    await world.ok(["--ethereum-private-key", OFFLINE_KEY, "tx-sign", "--yes", "--input", refeeUnsigned, "--output", refeeSigned]);
    const second = await importing(refeeSigned);
    expect({ code: second.code, errors: errors(second.stderr) }).toEqual({
      code: 1,
      errors: [`error: ${refeeSigned}: transactions[0] (nonce 0): already has another signature; a nonce never gets two different transactions`],
    });
    expect(signatures()).toBe(imported);
  });

  it("tx-export and tx-sign refuse to overwrite a file unless --force", async () => {
    const existing = path.join(world.dir, "existing.json");
    fs.writeFileSync(existing, "keep me");
    const exported = await world.sto(["tx-export", "--output", existing], { globals: watchOnly });
    expect({ code: exported.code, errors: errors(exported.stderr) }).toEqual({ code: 1, errors: [`error: --output ${existing}: the file exists (use --force to overwrite)`] });
    const signedAgain = await world.sto(["--ethereum-private-key", OFFLINE_KEY, "tx-sign", "--yes", "--input", unsigned, "--output", existing]);
    expect({ code: signedAgain.code, errors: errors(signedAgain.stderr) }).toEqual({ code: 1, errors: [`error: --output ${existing}: the file exists (use --force to overwrite)`] });
    expect(fs.readFileSync(existing, "utf8")).toBe("keep me");
    await world.ok(["--ethereum-private-key", OFFLINE_KEY, "tx-sign", "--yes", "--force", "--input", unsigned, "--output", existing]);
    expect(JSON.parse(fs.readFileSync(existing, "utf8"))).toMatchObject({ format: "sto-signed-transactions" });
  });
});
