import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ZeroAddress, id, type Contract } from "ethers";
import { as, eventsOf, expectRevert, mined, startTestChain, type TestChain, type TestSigner } from "../helpers/chain";

let chain: TestChain;
let admin: TestSigner;
let alice: TestSigner;
let bob: TestSigner;
let carol: TestSigner;
let whitelister: TestSigner;
let outsider: TestSigner;
let kyc: Contract;

const WHITELISTER_ROLE = id("WHITELISTER_ROLE");
const DEFAULT_ADMIN_ROLE = "0x" + "00".repeat(32);

beforeAll(async () => {
  chain = await startTestChain();
  [admin, alice, bob, carol, whitelister, outsider] = chain.signers;
});

afterAll(async () => {
  await chain?.close();
});

beforeEach(async () => {
  kyc = await chain.deploy("BasicKYC");
});

describe("BasicKYC", () => {
  it("gives the deployer the admin and whitelister roles", async () => {
    expect(await kyc.WHITELISTER_ROLE()).toBe(WHITELISTER_ROLE);
    expect(await kyc.hasRole(DEFAULT_ADMIN_ROLE, admin.address)).toBe(true);
    expect(await kyc.hasRole(WHITELISTER_ROLE, admin.address)).toBe(true);
    expect(await kyc.hasRole(WHITELISTER_ROLE, outsider.address)).toBe(false);
  });

  it("addToWhitelist lists an address once and emits Whitelisted once", async () => {
    expect(await kyc.isWhitelisted(alice.address)).toBe(false);
    const receipt = await mined(kyc.addToWhitelist(alice.address));
    expect(await kyc.isWhitelisted(alice.address)).toBe(true);
    expect(eventsOf(receipt, kyc, "Whitelisted").map((e) => e.args.toArray())).toEqual([[alice.address, admin.address]]);
    const again = await mined(kyc.addToWhitelist(alice.address));
    expect(eventsOf(again, kyc, "Whitelisted")).toHaveLength(0);
    expect(await kyc.isWhitelisted(bob.address)).toBe(false);
  });

  // Solidity mutant kyc-valid-boundary (scripts/mutation-solidity.ts, `<` -> `<=`): an entry is valid
  // up to the second before its expiry and no longer at the expiry second itself.
  it("isWhitelisted: an entry with an expiry is valid the second before it, not at it", async () => {
    const expiresAt = (await chain.latestTimestamp()) + 1000;
    await mined(kyc.setInvestor(alice.address, 1, 756, expiresAt));
    const whitelistedAt = async (timestamp: number): Promise<boolean> => {
      await chain.provider.send("evm_setNextBlockTimestamp", [timestamp]);
      await chain.provider.send("evm_mine", []);
      return (await kyc.isWhitelisted(alice.address, { blockTag: "latest" })) as boolean;
    };
    expect(await whitelistedAt(expiresAt - 1)).toBe(true);
    expect(await whitelistedAt(expiresAt)).toBe(false);
  });

  it("addToWhitelist rejects the zero address", async () => {
    await expectRevert(kyc.addToWhitelist(ZeroAddress), "ZeroAddress");
  });

  it("removeFromWhitelist unlists and emits Unwhitelisted; removing an unlisted address is a silent no-op", async () => {
    await mined(kyc.addToWhitelist(alice.address));
    const receipt = await mined(kyc.removeFromWhitelist(alice.address));
    expect(await kyc.isWhitelisted(alice.address)).toBe(false);
    expect(eventsOf(receipt, kyc, "Unwhitelisted").map((e) => e.args.toArray())).toEqual([[alice.address, admin.address]]);
    const again = await mined(kyc.removeFromWhitelist(alice.address));
    expect(eventsOf(again, kyc, "Unwhitelisted")).toHaveLength(0);
  });

  it("addToWhitelistBatch lists every address, skipping duplicates, and is all-or-nothing on 0x0", async () => {
    const receipt = await mined(kyc.addToWhitelistBatch([alice.address, bob.address, alice.address]));
    expect(await kyc.isWhitelisted(alice.address)).toBe(true);
    expect(await kyc.isWhitelisted(bob.address)).toBe(true);
    expect(eventsOf(receipt, kyc, "Whitelisted").map((e) => e.args[0])).toEqual([alice.address, bob.address]);

    await expectRevert(kyc.addToWhitelistBatch([carol.address, ZeroAddress]), "ZeroAddress");
    expect(await kyc.isWhitelisted(carol.address)).toBe(false);
  });

  it("rejects every whitelist change from an account without WHITELISTER_ROLE", async () => {
    const asOutsider = as(kyc, outsider);
    const expected = [outsider.address, WHITELISTER_ROLE];
    await expectRevert(asOutsider.addToWhitelist(alice.address), "AccessControlUnauthorizedAccount", expected);
    await expectRevert(asOutsider.addToWhitelistBatch([alice.address]), "AccessControlUnauthorizedAccount", expected);
    await mined(kyc.addToWhitelist(bob.address));
    await expectRevert(asOutsider.removeFromWhitelist(bob.address), "AccessControlUnauthorizedAccount", expected);
    expect(await kyc.isWhitelisted(alice.address)).toBe(false);
    expect(await kyc.isWhitelisted(bob.address)).toBe(true);
  });

  it("lets a granted whitelister add, batch-add and remove, and stops it once revoked", async () => {
    await mined(kyc.grantRole(WHITELISTER_ROLE, whitelister.address));
    const asWhitelister = as(kyc, whitelister);
    const receipt = await mined(asWhitelister.addToWhitelist(alice.address));
    expect(eventsOf(receipt, kyc, "Whitelisted")[0].args.toArray()).toEqual([alice.address, whitelister.address]);
    await mined(asWhitelister.addToWhitelistBatch([bob.address, carol.address]));
    await mined(asWhitelister.removeFromWhitelist(carol.address));
    expect(await kyc.isWhitelisted(alice.address)).toBe(true);
    expect(await kyc.isWhitelisted(bob.address)).toBe(true);
    expect(await kyc.isWhitelisted(carol.address)).toBe(false);

    await mined(kyc.revokeRole(WHITELISTER_ROLE, whitelister.address));
    await expectRevert(asWhitelister.addToWhitelist(carol.address), "AccessControlUnauthorizedAccount", [
      whitelister.address,
      WHITELISTER_ROLE,
    ]);
  });

  it("only the admin grants WHITELISTER_ROLE", async () => {
    await expectRevert(
      as(kyc, outsider).grantRole(WHITELISTER_ROLE, outsider.address),
      "AccessControlUnauthorizedAccount",
      [outsider.address, DEFAULT_ADMIN_ROLE],
    );
  });
});

describe("transfer agents", () => {
  it("RestrictedTransferAgent answers verify/verifyBatch from the whitelist and refuses a 0x0 KYC", async () => {
    const agent = await chain.deploy("RestrictedTransferAgent", [await kyc.getAddress()]);
    expect(await agent.kyc()).toBe(await kyc.getAddress());
    expect(await agent.isUnrestricted()).toBe(false);
    await mined(kyc.addToWhitelistBatch([alice.address, bob.address]));
    expect(await agent.verify(alice.address, bob.address, 1n)).toBe(true);
    expect(await agent.verify(alice.address, carol.address, 1n)).toBe(false);
    expect(await agent.verify(carol.address, alice.address, 1n)).toBe(false);
    expect(await agent.verifyBatch(alice.address, [bob.address, alice.address])).toBe(true);
    expect(await agent.verifyBatch(alice.address, [bob.address, carol.address])).toBe(false);
    expect(await agent.verifyBatch(carol.address, [bob.address])).toBe(false);
    expect(await agent.verifyBatch(alice.address, [])).toBe(true);

    const factory = chain.artifacts.get("RestrictedTransferAgent");
    expect(factory.abi).toBeDefined();
    await expectRevert(chain.deploy("RestrictedTransferAgent", [ZeroAddress]), "ZeroAddress");
  });

  it("UnrestrictedTransferAgent allows everything and says so", async () => {
    const agent = await chain.deploy("UnrestrictedTransferAgent");
    expect(await agent.verify(alice.address, carol.address, 1n)).toBe(true);
    expect(await agent.verifyBatch(alice.address, [carol.address])).toBe(true);
    expect(await agent.isUnrestricted()).toBe(true);
  });
});
