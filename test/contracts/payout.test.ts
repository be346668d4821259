import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ZeroAddress, id, type Contract } from "ethers";
import { as, eventsOf, expectRevert, mined, startTestChain, tokenWithRecordDate, type TestChain, type TestSigner } from "../helpers/chain";

let chain: TestChain;
let issuer: TestSigner;
let alice: TestSigner;
let bob: TestSigner;
let carol: TestSigner;
let dave: TestSigner;
let outsider: TestSigner;

let token: Contract;
let cash: Contract; // the payout currency
let checkpointId: bigint;

const DAY = 24 * 60 * 60;
const PAYER_ROLE = id("PAYER_ROLE");
const DEFAULT_ADMIN_ROLE = "0x" + "00".repeat(32);

beforeAll(async () => {
  chain = await startTestChain();
  [issuer, alice, bob, carol, dave, outsider] = chain.signers;
});

afterAll(async () => {
  await chain?.close();
});

/**
 * At the checkpoint: issuer (treasury) 400, alice 100, bob 200, carol 300; supply 1000.
 * After it: alice sends 50 to dave (a new holder), carol sends everything to bob, 500 more issued.
 */
beforeEach(async () => {
  ({ token, checkpointId } = await tokenWithRecordDate(chain, [alice, bob, carol, dave]));
  await mined(token.issueTokens(500n));

  cash = await chain.deploy("CrowdsaleToken");
});

interface PayoutOptions {
  kyc?: string;
  excluded?: string[];
  expiresIn?: number;
}

async function deployPayout(options: PayoutOptions = {}): Promise<Contract> {
  const expiry = (await chain.latestTimestamp()) + (options.expiresIn ?? 30 * DAY);
  return chain.deploy("Payout", [
    await token.getAddress(),
    checkpointId,
    await cash.getAddress(),
    options.kyc ?? ZeroAddress,
    expiry,
    "Dividend 2024",
    options.excluded ?? [issuer.address],
  ]);
}

async function fund(payout: Contract, amount: bigint): Promise<void> {
  await mined(cash.approve(await payout.getAddress(), amount));
  await mined(payout.fund(amount));
}

async function cashOf(signer: TestSigner): Promise<bigint> {
  return cash.balanceOf(signer.address) as Promise<bigint>;
}

describe("Payout deployment", () => {
  it("records its parameters and the eligible supply (supply at the checkpoint minus the treasury)", async () => {
    const payout = await deployPayout();
    expect(await payout.token()).toBe(await token.getAddress());
    expect(await payout.checkpointId()).toBe(checkpointId);
    expect(await payout.payoutToken()).toBe(await cash.getAddress());
    expect(await payout.kyc()).toBe(ZeroAddress);
    expect(await payout.name()).toBe("Dividend 2024");
    expect(await payout.eligibleSupply()).toBe(600n);
    expect(await payout.excluded()).toEqual([issuer.address]);
    expect(await payout.isExcluded(issuer.address)).toBe(true);
    expect(await payout.hasRole(DEFAULT_ADMIN_ROLE, issuer.address)).toBe(true);
    expect(await payout.hasRole(PAYER_ROLE, issuer.address)).toBe(true);
    expect(await payout.isExpired()).toBe(false);
  });

  it("without exclusions, the base is the whole supply at the checkpoint", async () => {
    const payout = await deployPayout({ excluded: [] });
    expect(await payout.eligibleSupply()).toBe(1000n);
  });

  it("rejects a checkpoint that does not exist, an expiry not in the future, duplicates and an empty base", async () => {
    const now = await chain.latestTimestamp();
    const args = (overrides: { checkpoint?: bigint; expiry?: number; excluded?: string[] }): unknown[] => [
      token.target,
      overrides.checkpoint ?? checkpointId,
      cash.target,
      ZeroAddress,
      overrides.expiry ?? now + DAY,
      "x",
      overrides.excluded ?? [],
    ];
    await expectRevert(chain.deploy("Payout", args({ checkpoint: 0n })), "NonexistentCheckpoint", [0n]);
    await expectRevert(chain.deploy("Payout", args({ checkpoint: checkpointId + 1n })), "NonexistentCheckpoint", [
      checkpointId + 1n,
    ]);
    await expectRevert(chain.deploy("Payout", args({ expiry: now - 1 })), "ExpiryNotInFuture", [now - 1]);
    await expectRevert(chain.deploy("Payout", args({ excluded: [issuer.address, issuer.address] })), "DuplicateExclusion", [
      issuer.address,
    ]);
    await expectRevert(chain.deploy("Payout", args({ excluded: [ZeroAddress] })), "ZeroAddress");
    await expectRevert(
      chain.deploy("Payout", args({ excluded: [issuer.address, alice.address, bob.address, carol.address] })),
      "NoEligibleSupply",
    );
  });
});

describe("Payout funding", () => {
  it("fund pulls an approved amount and emits Funded; a zero amount is refused", async () => {
    const payout = await deployPayout();
    await mined(cash.approve(await payout.getAddress(), 700n));
    const receipt = await mined(payout.fund(600n));
    expect(eventsOf(receipt, payout, "Funded")[0].args.toArray()).toEqual([issuer.address, 600n, 600n]);
    expect(await payout.totalFunded()).toBe(600n);
    expect(await cash.balanceOf(await payout.getAddress())).toBe(600n);
    await expectRevert(payout.fund(0n), "NothingToFund");
    await expectRevert(payout.fund(101n), "ERC20InsufficientAllowance");
  });

  it("fundFromAllowance pulls exactly the approved amount (the payout-approve / payout-deposit flow)", async () => {
    const payout = await deployPayout();
    await expectRevert(payout.fundFromAllowance(), "NothingToFund");
    await mined(cash.approve(await payout.getAddress(), 1234n));
    const receipt = await mined(payout.fundFromAllowance());
    expect(eventsOf(receipt, payout, "Funded")[0].args.toArray()).toEqual([issuer.address, 1234n, 1234n]);
    expect(await cash.allowance(issuer.address, await payout.getAddress())).toBe(0n);
  });

  it("fundFromAllowance with an unlimited approval takes the funder's whole balance, no more", async () => {
    const payout = await deployPayout();
    await mined(cash.transfer(outsider.address, 5000n));
    await mined(as(cash, outsider).approve(await payout.getAddress(), (1n << 256n) - 1n));
    await mined(as(payout, outsider).fundFromAllowance());
    expect(await payout.totalFunded()).toBe(5000n);
    expect(await cashOf(outsider)).toBe(0n);
  });
});

describe("Payout amounts", () => {
  it("pays pro rata to the balances at the checkpoint, not the current ones, rounding down", async () => {
    const payout = await deployPayout();
    await fund(payout, 1001n);
    // 1001 * 100 / 600 = 166.83, 1001 * 200 / 600 = 333.67, 1001 * 300 / 600 = 500.5
    expect(await payout.entitlementOf(alice.address)).toBe(166n);
    expect(await payout.entitlementOf(bob.address)).toBe(333n);
    expect(await payout.entitlementOf(carol.address)).toBe(500n);
    expect(await payout.entitlementOf(dave.address)).toBe(0n); // bought after the record date
    expect(await payout.entitlementOf(issuer.address)).toBe(0n); // treasury
    expect(await payout.roundingRemainder([issuer.address, alice.address, bob.address, carol.address, dave.address])).toBe(
      2n,
    );

    const before = await cashOf(alice);
    const receipt = await mined(as(payout, alice).claim());
    expect(await cashOf(alice)).toBe(before + 166n);
    expect(eventsOf(receipt, payout, "Paid").map((e) => e.args.toArray())).toEqual([[alice.address, alice.address, 166n]]);
    expect(await payout.paidTo(alice.address)).toBe(166n);

    // carol sold everything after the checkpoint and is still paid; bob is paid for 200, not 500.
    await mined(as(payout, carol).claim());
    await mined(as(payout, bob).claim());
    expect(await cashOf(carol)).toBe(500n);
    expect(await cashOf(bob)).toBe(333n);
    expect(await payout.totalPaid()).toBe(999n);
    expect(await payout.unpaid()).toBe(2n);
  });

  it("rejects a second claim, a claim with nothing due and a claim by an excluded address", async () => {
    const payout = await deployPayout();
    await fund(payout, 600n);
    await mined(as(payout, alice).claim());
    await expectRevert(as(payout, alice).claim(), "NothingToClaim", [alice.address]);
    expect(await cashOf(alice)).toBe(100n);
    await expectRevert(as(payout, dave).claim(), "NothingToClaim", [dave.address]);
    await expectRevert(payout.claim(), "NotEligible", [issuer.address]);
  });

  it("a later deposit raises every entitlement; holders paid before collect only the difference", async () => {
    const payout = await deployPayout();
    await fund(payout, 600n);
    await mined(as(payout, alice).claim()); // 100
    await fund(payout, 601n); // 1201 in total: alice 200.17 -> 200
    expect(await payout.claimable(alice.address)).toBe(100n);
    await mined(as(payout, alice).claim());
    expect(await cashOf(alice)).toBe(200n);
    expect(await payout.paidTo(alice.address)).toBe(200n);
    await expectRevert(as(payout, alice).claim(), "NothingToClaim", [alice.address]);
  });

  it("roundingRemainder refuses an incomplete holder list", async () => {
    const payout = await deployPayout();
    await fund(payout, 1001n);
    await expectRevert(payout.roundingRemainder([alice.address, bob.address]), "IncompleteHolderList", [300n, 600n]);
  });
});

describe("Payout payBatch", () => {
  it("pays each listed holder once, skipping nothing-due, zero and repeated entries; a re-run pays nobody", async () => {
    const payout = await deployPayout();
    await fund(payout, 1200n);
    await mined(as(payout, alice).claim()); // 200

    const list = [alice.address, bob.address, carol.address, dave.address, ZeroAddress, bob.address, issuer.address];
    const [count, amount] = (await payout.payBatch.staticCall(list)).toArray();
    expect([count, amount]).toEqual([2n, 1000n]);
    const receipt = await mined(payout.payBatch(list));
    expect(eventsOf(receipt, payout, "Paid").map((e) => e.args.toArray())).toEqual([
      [bob.address, issuer.address, 400n],
      [carol.address, issuer.address, 600n],
    ]);
    expect(await cashOf(bob)).toBe(400n);
    expect(await cashOf(carol)).toBe(600n);

    const rerun = await mined(payout.payBatch(list));
    expect(eventsOf(rerun, payout, "Paid")).toHaveLength(0);
    expect(await cashOf(bob)).toBe(400n);
    expect(await payout.totalPaid()).toBe(1200n);
  });

  it("needs PAYER_ROLE", async () => {
    const payout = await deployPayout();
    await fund(payout, 600n);
    await expectRevert(as(payout, outsider).payBatch([alice.address]), "AccessControlUnauthorizedAccount", [
      outsider.address,
      PAYER_ROLE,
    ]);
    await mined(payout.grantRole(PAYER_ROLE, outsider.address));
    await mined(as(payout, outsider).payBatch([alice.address]));
    expect(await cashOf(alice)).toBe(100n);
  });
});

describe("Payout with KYC", () => {
  it("pays only whitelisted holders; the others' shares stay in the contract until they are whitelisted", async () => {
    const kyc = await chain.deploy("BasicKYC");
    await mined(kyc.addToWhitelistBatch([alice.address, bob.address]));
    const payout = await deployPayout({ kyc: await kyc.getAddress() });
    await fund(payout, 600n);

    expect(await payout.isEligible(carol.address)).toBe(false);
    expect(await payout.claimable(carol.address)).toBe(0n);
    expect(await payout.entitlementOf(carol.address)).toBe(300n); // the base is not reduced
    await expectRevert(as(payout, carol).claim(), "NotEligible", [carol.address]);

    const receipt = await mined(payout.payBatch([alice.address, bob.address, carol.address]));
    expect(eventsOf(receipt, payout, "Paid").map((e) => e.args[0])).toEqual([alice.address, bob.address]);
    expect(await cashOf(alice)).toBe(100n);
    expect(await cashOf(bob)).toBe(200n);
    expect(await cashOf(carol)).toBe(0n);
    expect(await payout.unpaid()).toBe(300n);

    await mined(kyc.addToWhitelist(carol.address));
    await mined(as(payout, carol).claim());
    expect(await cashOf(carol)).toBe(300n);
    expect(await payout.unpaid()).toBe(0n);
  });
});

describe("Payout expiry and reclaim", () => {
  it("reclaim is refused before expiry; after it, claims, payments and funding stop and the admin reclaims the rest", async () => {
    const kyc = await chain.deploy("BasicKYC");
    await mined(kyc.addToWhitelistBatch([alice.address, bob.address]));
    const payout = await deployPayout({ kyc: await kyc.getAddress(), expiresIn: 7 * DAY });
    const expiry = (await payout.expiry()) as bigint;
    await fund(payout, 1001n);
    await mined(as(payout, alice).claim()); // 166; bob (333) never claims; carol (500) is not whitelisted

    await expectRevert(payout.reclaim(issuer.address), "PayoutNotExpired", [expiry]);

    await chain.increaseTime(7 * DAY);
    expect(await payout.isExpired()).toBe(true);
    await expectRevert(as(payout, bob).claim(), "PayoutExpired", [expiry]);
    await expectRevert(payout.payBatch([bob.address]), "PayoutExpired", [expiry]);
    await mined(cash.approve(await payout.getAddress(), 1n));
    await expectRevert(payout.fund(1n), "PayoutExpired", [expiry]);
    expect(await payout.claimable(bob.address)).toBe(0n);

    await expectRevert(as(payout, outsider).reclaim(outsider.address), "AccessControlUnauthorizedAccount", [
      outsider.address,
      DEFAULT_ADMIN_ROLE,
    ]);
    await expectRevert(payout.reclaim(ZeroAddress), "ZeroAddress");

    // Left: bob's 333 + carol's 500 + the rounding remainder of 2 = 1001 - 166.
    expect(await payout.unpaid()).toBe(835n);
    const treasury = chain.signers[12];
    const receipt = await mined(payout.reclaim(treasury.address));
    expect(eventsOf(receipt, payout, "Reclaimed")[0].args.toArray()).toEqual([treasury.address, 835n]);
    expect(await cashOf(treasury)).toBe(835n);
    expect(await cash.balanceOf(await payout.getAddress())).toBe(0n);
    await expectRevert(payout.reclaim(treasury.address), "NothingToReclaim");
  });

  it("reclaim also returns tokens sent to the contract without fund()", async () => {
    const payout = await deployPayout({ expiresIn: DAY });
    await fund(payout, 600n);
    await mined(cash.transfer(await payout.getAddress(), 50n));
    expect(await payout.totalFunded()).toBe(600n); // not distributed
    expect(await payout.entitlementOf(alice.address)).toBe(100n);
    await chain.increaseTime(DAY);
    await mined(payout.reclaim(issuer.address));
    expect(await cash.balanceOf(await payout.getAddress())).toBe(0n);
  });
});
