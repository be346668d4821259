import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZeroAddress, id, type Contract } from "ethers";
import { as, eventsOf, expectRevert, mined, startTestChain, type TestChain, type TestSigner } from "../helpers/chain";

// Every compliance rule of SecurityToken both ways, on transfer, transferFrom and batchTransfer,
// with the exact custom error and the ERC-1404 code (docs/compliance.md).
let chain: TestChain;
let issuer: TestSigner;
let alice: TestSigner;
let bob: TestSigner;
let carol: TestSigner;
let operator: TestSigner;
let outsider: TestSigner;
let unrestricted: Contract;

const MODE = { VERIFIER: 0, KYC: 1, SOUL_BOUND: 2, TIME_LOCKED: 3 } as const;
const DAY = 24 * 60 * 60;

beforeAll(async () => {
  chain = await startTestChain();
  [issuer, alice, bob, carol, operator, outsider] = chain.signers;
  unrestricted = await chain.deploy("UnrestrictedTransferAgent");
});

afterAll(async () => {
  await chain?.close();
});

interface Config {
  mode?: number;
  registry?: string;
  maxSupply?: bigint;
  classes?: number;
  releaseTime?: number;
  trackHolders?: boolean;
  maxHolders?: bigint;
  maxBalance?: bigint;
  /** Skip setting the unrestricted verifier (verifier, soul-bound and time-locked modes). */
  noVerifier?: boolean;
  issue?: bigint;
}

async function deploy(config: Config = {}): Promise<Contract> {
  const token = await chain.deploy("SecurityToken", ["Moo Corp", "MOO", "https://example.com/moo"]);
  await mined(
    token.initializeCompliance(
      config.mode ?? MODE.VERIFIER,
      config.registry ?? ZeroAddress,
      config.maxSupply ?? 0n,
      config.classes ?? 0,
      config.releaseTime ?? 0,
      config.trackHolders ?? false,
      config.maxHolders ?? 0n,
      config.maxBalance ?? 0n,
    ),
  );
  if ((config.mode ?? MODE.VERIFIER) !== MODE.KYC && !config.noVerifier) {
    await mined(token.setTransferVerifier(await unrestricted.getAddress()));
  }
  if ((config.issue ?? 1000n) > 0n) await mined(token.issueTokens(config.issue ?? 1000n));
  return token;
}

type Path = "transfer" | "transferFrom" | "batchTransfer";
const PATHS: Path[] = ["transfer", "transferFrom", "batchTransfer"];

async function send(token: Contract, from: TestSigner, to: string, value: bigint, path: Path): Promise<unknown> {
  if (path === "transfer") return mined(as(token, from).transfer(to, value));
  if (path === "batchTransfer") return mined(as(token, from).batchTransfer([to], [value]));
  await mined(as(token, from).approve(operator.address, value));
  return mined(as(token, operator).transferFrom(from.address, to, value));
}

/** The rule refuses on every path with `error(args)`, and detectTransferRestriction says `code`. */
async function expectRefused(
  token: Contract,
  from: TestSigner,
  to: string,
  value: bigint,
  code: number,
  error: string,
  args: readonly unknown[],
): Promise<void> {
  expect(await token.detectTransferRestriction(from.address, to, value)).toBe(BigInt(code));
  expect(((await token.messageForTransferRestriction(code)) as string).length).toBeGreaterThan(5);
  for (const path of PATHS) {
    const balance = (await token.balanceOf(from.address)) as bigint;
    await expectRevert(send(token, from, to, value, path), error, args);
    expect(await token.balanceOf(from.address), path).toBe(balance);
  }
}

/** Allowed on every path (each moves `value`), with code 0. */
async function expectAllowed(token: Contract, from: TestSigner, to: string, value: bigint): Promise<void> {
  for (const path of PATHS) {
    expect(await token.detectTransferRestriction(from.address, to, value), path).toBe(0n);
    const before = (await token.balanceOf(to)) as bigint;
    await send(token, from, to, value, path);
    expect(await token.balanceOf(to), path).toBe(before + value);
  }
}

const role = (name: string): string => id(name);

describe("initializeCompliance and max supply", () => {
  it("runs once, by the admin, before any issuance", async () => {
    const fresh = await chain.deploy("SecurityToken", ["Moo Corp", "MOO", "https://example.com/moo"]);
    await expectRevert(
      as(fresh, outsider).initializeCompliance(0, ZeroAddress, 0n, 0, 0, false, 0n, 0n),
      "AccessControlUnauthorizedAccount",
    );
    await expectRevert(fresh.initializeCompliance(4, ZeroAddress, 0n, 0, 0, false, 0n, 0n), "InvalidMode", [4n]);
    await expectRevert(fresh.initializeCompliance(MODE.KYC, ZeroAddress, 0n, 0, 0, false, 0n, 0n), "RegistryNotContract");
    await expectRevert(fresh.initializeCompliance(0, ZeroAddress, 0n, 0, 0, false, 5n, 0n), "HolderCountNotTracked");
    await mined(fresh.initializeCompliance(0, ZeroAddress, 500n, 0, 0, true, 0n, 0n));
    await expectRevert(fresh.initializeCompliance(0, ZeroAddress, 0n, 0, 0, false, 0n, 0n), "ComplianceAlreadyInitialized");
    const late = await chain.deploy("SecurityToken", ["Moo Corp", "MOO", "https://example.com/moo"]);
    await mined(late.issueTokens(1n));
    await expectRevert(late.initializeCompliance(0, ZeroAddress, 0n, 0, 0, false, 0n, 0n), "ComplianceAlreadyInitialized");
  });

  it("issuing past the max supply reverts; it can be lowered (not below the supply) but never raised", async () => {
    const token = await deploy({ maxSupply: 1500n });
    await mined(token.issueTokens(500n));
    await expectRevert(token.issueTokens(1n), "MaxSupplyExceeded", [1500n, 1500n, 1n]);
    await mined(token.burnTokens(100n));
    await expectRevert(as(token, outsider).setMaxSupply(1400n), "AccessControlUnauthorizedAccount");
    await expectRevert(token.setMaxSupply(1600n), "MaxSupplyIncrease", [1500n, 1600n]);
    await expectRevert(token.setMaxSupply(1399n), "MaxSupplyBelowSupply", [1400n, 1399n]);
    const receipt = await mined(token.setMaxSupply(1450n));
    expect(eventsOf(receipt, token, "MaxSupplyChanged")[0].args).toEqual([1500n, 1450n]);
    expect(await token.maxSupply()).toBe(1450n);
    await mined(token.issueTokens(50n));
    await expectRevert(token.issueTokens(1n), "MaxSupplyExceeded", [1450n, 1450n, 1n]);
  });
});

describe("pause", () => {
  it("stops every ordinary transfer (code 1); forced transfers, issuance and burns still work; PAUSER_ROLE only", async () => {
    const token = await deploy();
    await mined(token.transfer(alice.address, 100n));
    await expectRevert(as(token, outsider).pause(), "AccessControlUnauthorizedAccount", [outsider.address, role("PAUSER_ROLE")]);
    await mined(token.pause());
    await expectRevert(token.pause(), "TransfersPaused");
    await expectRefused(token, alice, bob.address, 10n, 1, "TransfersPaused", []);
    await mined(token.forceTransfer(alice.address, bob.address, 10n, "court order"));
    await mined(token.issueTokens(5n));
    await mined(token.burnTokens(5n));
    expect((await token.complianceRules())[3]).toBe(true);
    await expectRevert(as(token, outsider).unpause(), "AccessControlUnauthorizedAccount");
    await mined(token.unpause());
    await expectRevert(token.unpause(), "TransfersNotPaused");
    await expectAllowed(token, alice, bob.address, 10n);
  });
});

describe("freezes", () => {
  it("a frozen address neither sends (code 2) nor receives (code 3); forced transfers ignore it", async () => {
    const token = await deploy();
    await mined(token.batchTransfer([alice.address, bob.address], [100n, 100n]));
    await expectRevert(as(token, outsider).setAddressFrozen(alice.address, true, "x"), "AccessControlUnauthorizedAccount", [
      outsider.address,
      role("FREEZER_ROLE"),
    ]);
    const receipt = await mined(token.setAddressFrozen(alice.address, true, "Court order 7"));
    expect(eventsOf(receipt, token, "AddressFrozen")[0].args).toEqual([alice.address, true, issuer.address, "Court order 7"]);
    await expectRefused(token, alice, bob.address, 10n, 2, "FrozenAddress", [alice.address]);
    await expectRefused(token, bob, alice.address, 10n, 3, "FrozenAddress", [alice.address]);
    expect((await token.holding(alice.address))[1]).toBe(true);
    await mined(token.forceTransfer(alice.address, carol.address, 10n, "recovery"));
    await mined(token.setAddressFrozen(alice.address, false, "released"));
    await expectAllowed(token, alice, bob.address, 10n);
    await expectAllowed(token, bob, alice.address, 10n);
  });

  it("frozen tokens (code 5) cannot leave; the rest can; unfreezing releases them", async () => {
    const token = await deploy();
    await mined(token.transfer(alice.address, 100n));
    await expectRevert(token.freezePartialTokens(alice.address, 101n, "x"), "FreezeExceedsBalance", [alice.address, 100n, 101n]);
    const receipt = await mined(token.freezePartialTokens(alice.address, 60n, "Escrow"));
    expect(eventsOf(receipt, token, "TokensFrozen")[0].args).toEqual([alice.address, 60n, 60n, issuer.address, "Escrow"]);
    await expectRefused(token, alice, bob.address, 41n, 5, "FrozenBalance", [alice.address, 40n, 41n]);
    await expectAllowed(token, alice, bob.address, 10n); // 30 moved, 70 left of which 60 frozen
    await expectRefused(token, alice, bob.address, 11n, 5, "FrozenBalance", [alice.address, 10n, 11n]);
    await expectRevert(token.unfreezePartialTokens(alice.address, 61n, "x"), "UnfreezeExceedsFrozen", [alice.address, 60n, 61n]);
    await expectRevert(as(token, outsider).unfreezePartialTokens(alice.address, 1n, "x"), "AccessControlUnauthorizedAccount");
    await mined(token.unfreezePartialTokens(alice.address, 60n, "Released"));
    await expectAllowed(token, alice, bob.address, 20n);
  });
});

describe("lock-ups", () => {
  it("locked tokens (code 6) cannot leave before their release; afterwards they can", async () => {
    const token = await deploy();
    const now = await chain.latestTimestamp();
    await expectRevert(as(token, outsider).transferWithLockup(alice.address, 1n, now + DAY), "AccessControlUnauthorizedAccount", [
      outsider.address,
      role("ISSUER_ROLE"),
    ]);
    const receipt = await mined(token.transferWithLockup(alice.address, 100n, now + DAY));
    expect(eventsOf(receipt, token, "TokensLocked")[0].args).toEqual([alice.address, 100n, BigInt(now + DAY), 100n]);
    expect(eventsOf(receipt, token, "Transfer")).toHaveLength(1);
    await mined(token.batchTransferWithLockup([alice.address, bob.address], [50n, 10n], [now + 2 * DAY, 0n]));
    await mined(token.transfer(alice.address, 30n));
    // alice: 180 = 100 until +1d, 50 until +2d, 30 free
    let holding = await token.holding(alice.address);
    expect([holding[0], holding[3], holding[4], holding[5]]).toEqual([180n, 150n, 30n, BigInt(now + DAY)]);
    await expectRefused(token, alice, bob.address, 31n, 6, "LockedBalance", [alice.address, 30n, 31n]);
    await expectAllowed(token, alice, bob.address, 10n);
    await chain.increaseTime(DAY);
    holding = await token.holding(alice.address);
    expect([holding[3], holding[4]]).toEqual([50n, 100n]);
    await expectRefused(token, alice, bob.address, 101n, 6, "LockedBalance", [alice.address, 100n, 101n]);
    const released = await mined(as(token, alice).transfer(bob.address, 1n));
    expect(eventsOf(released, token, "TokensUnlocked")[0].args).toEqual([alice.address, 100n, 50n]);
    await chain.increaseTime(DAY);
    await expectAllowed(token, alice, bob.address, 49n);
    expect((await token.holding(alice.address))[3]).toBe(0n);
    expect(await token.balanceOf(alice.address)).toBe(2n);
  });

  it("at most MAX_LOCKUPS unreleased tranches per holder; equal release times merge; forced transfers ignore locks", async () => {
    const token = await deploy();
    const now = await chain.latestTimestamp();
    for (let i = 1; i <= 16; i++) await mined(token.transferWithLockup(alice.address, 1n, now + i * DAY));
    await mined(token.transferWithLockup(alice.address, 1n, now + 16 * DAY)); // merged into the last
    await expectRevert(token.transferWithLockup(alice.address, 1n, now + 17 * DAY), "TooManyLockups", [alice.address, 16n]);
    await expectRevert(token.batchTransferWithLockup([alice.address], [1n], [now + 17 * DAY]), "TooManyLockups");
    expect((await token.holding(alice.address))[3]).toBe(17n);
    await mined(token.forceTransfer(alice.address, bob.address, 17n, "court order"));
    expect(await token.balanceOf(bob.address)).toBe(17n);
    await chain.increaseTime(DAY + 1);
    await mined(token.transferWithLockup(alice.address, 1n, now + 30 * DAY)); // the released tranche made room
  });

  it("holds left above the balance by a forced transfer refuse every amount but 0 (found by the model test)", async () => {
    const token = await deploy();
    const now = await chain.latestTimestamp();
    await mined(token.transferWithLockup(alice.address, 10n, now + DAY));
    await mined(token.transfer(alice.address, 5n));
    await mined(token.freezePartialTokens(alice.address, 5n, "court order"));
    await mined(token.forceTransfer(alice.address, bob.address, 12n, "court order")); // 3 left, 15 held
    expect(await token.detectTransferRestriction(alice.address, bob.address, 0n)).toBe(0n);
    await expectAllowed(token, alice, bob.address, 0n);
    await expectRefused(token, alice, bob.address, 1n, 5, "FrozenBalance", [alice.address, 0n, 1n]);
  });
});

describe("restriction modes", () => {
  it("verifier mode: no verifier (code 7) and a rejecting whitelist (code 8)", async () => {
    const token = await deploy({ noVerifier: true });
    await expectRefused(token, issuer, alice.address, 1n, 7, "TransferVerifierNotSet", []);
    const kyc = await chain.deploy("BasicKYC");
    await mined(token.setTransferVerifier(await (await chain.deploy("RestrictedTransferAgent", [await kyc.getAddress()])).getAddress()));
    await mined(kyc.addToWhitelist(issuer.address));
    await expectRefused(token, issuer, alice.address, 1n, 8, "TransferRejected", [issuer.address, alice.address, 1n]);
    await mined(kyc.addToWhitelist(alice.address));
    await expectAllowed(token, issuer, alice.address, 1n);
  });

  it("kyc: the receiver needs an entry (9), not expired (10), of an allowed class (11), from a country not refused (12)", async () => {
    const registry = await chain.deploy("BasicKYC");
    const now = await chain.latestTimestamp();
    const token = await deploy({ mode: MODE.KYC, registry: await registry.getAddress(), classes: 0b0100 });
    await mined(registry.setInvestor(issuer.address, 2, 756, 0));
    await expectRefused(token, issuer, alice.address, 1n, 9, "ReceiverNotVerified", [alice.address]);
    await mined(registry.setInvestor(alice.address, 1, 756, now + DAY));
    await expectRefused(token, issuer, alice.address, 1n, 11, "InvestorClassNotAllowed", [alice.address, 1n]);
    await mined(registry.setInvestor(alice.address, 2, 840, now + DAY));
    await expectAllowed(token, issuer, alice.address, 1n);
    await expectRevert(as(token, outsider).setCountriesRefused([840], true), "AccessControlUnauthorizedAccount");
    await expectRevert(token.setCountriesRefused([1000], true), "InvalidCountry", [1000n]);
    await mined(token.setCountriesRefused([840, 408], true));
    expect(await token.refusedCountries()).toEqual([408n, 840n]);
    await expectRefused(token, issuer, alice.address, 1n, 12, "CountryRefused", [alice.address, 840n]);
    await mined(token.setCountriesRefused([840], false));
    await expectAllowed(token, issuer, alice.address, 1n);
    await chain.increaseTime(DAY);
    await expectRefused(token, issuer, alice.address, 1n, 10, "KycExpired", [alice.address, BigInt(now + DAY)]);
    expect(await registry.isWhitelisted(alice.address)).toBe(false);
    // An expired sender may still sell to a verified receiver.
    await expectAllowed(token, alice, issuer.address, 1n);
    await expectRevert(as(token, outsider).setAllowedInvestorClasses(0), "AccessControlUnauthorizedAccount");
    await mined(registry.setInvestor(alice.address, 1, 756, 0));
    await mined(token.setAllowedInvestorClasses(0));
    await expectAllowed(token, issuer, alice.address, 1n);
    expect(await token.transferVerifier()).toBe(ZeroAddress);
    await expectRevert(token.setTransferVerifier(await unrestricted.getAddress()), "WrongMode", [1n]);
  });

  // Killed the mutant `block.timestamp > expiresAt` (npm run test:mutation -- solidity --only kyc-expiry-boundary),
  // which the test above let through: it only looks a whole day after the expiry.
  it("kyc: an entry is expired from its expiry second on (10), and valid the second before", async () => {
    const registry = await chain.deploy("BasicKYC");
    const token = await deploy({ mode: MODE.KYC, registry: await registry.getAddress(), classes: 0b0100 });
    await mined(registry.setInvestor(issuer.address, 2, 756, 0));
    const expiresAt = (await chain.latestTimestamp()) + 1000;
    await mined(registry.setInvestor(alice.address, 2, 756, expiresAt));
    const transferAt = async (timestamp: number): Promise<{ status: number | null; blockNumber: number }> => {
      await chain.provider.send("evm_setNextBlockTimestamp", [timestamp]);
      // A fixed gas limit: the transaction is mined (and judged) in the block of that timestamp, not estimated first.
      const sent = await as(token, issuer).transfer(alice.address, 1n, { gasLimit: 300_000n });
      const receipt = await chain.provider.waitForTransaction(sent.hash);
      if (!receipt) throw new Error("transfer not mined");
      expect((await chain.provider.getBlock(receipt.blockNumber))?.timestamp).toBe(timestamp);
      return { status: receipt.status, blockNumber: receipt.blockNumber };
    };
    const before = await transferAt(expiresAt - 1);
    expect(before.status).toBe(1);
    expect(await token.detectTransferRestriction(issuer.address, alice.address, 1n, { blockTag: before.blockNumber })).toBe(0n);
    const at = await transferAt(expiresAt);
    expect(at.status).toBe(0);
    expect(await token.balanceOf(alice.address)).toBe(1n);
    expect(await token.detectTransferRestriction(issuer.address, alice.address, 1n, { blockTag: at.blockNumber })).toBe(10n);
  });

  it("soul-bound: holders cannot transfer (code 13); the issuer distributes; forced transfers and burns work", async () => {
    const token = await deploy({ mode: MODE.SOUL_BOUND });
    await expectAllowed(token, issuer, alice.address, 10n);
    await expectRefused(token, alice, bob.address, 1n, 13, "SoulBound", [alice.address]);
    await mined(token.forceTransfer(alice.address, issuer.address, 5n, "recovery"));
    await mined(token.burnTokens(5n));
    await mined(token.grantRole(role("ISSUER_ROLE"), alice.address));
    await expectAllowed(token, alice, bob.address, 1n);
  });

  it("time-locked: no holder transfers before the release time (code 14), the issuer distributes; it can only come earlier", async () => {
    const now = await chain.latestTimestamp();
    const token = await deploy({ mode: MODE.TIME_LOCKED, releaseTime: now + 10 * DAY });
    await expectAllowed(token, issuer, alice.address, 10n);
    await expectRefused(token, alice, bob.address, 1n, 14, "TimeLocked", [BigInt(now + 10 * DAY)]);
    await expectRevert(token.setReleaseTime(now + 11 * DAY), "ReleaseTimeLater", [BigInt(now + 10 * DAY), BigInt(now + 11 * DAY)]);
    await expectRevert(as(token, outsider).setReleaseTime(now), "AccessControlUnauthorizedAccount");
    await mined(token.setReleaseTime(now + 5 * DAY));
    await chain.increaseTime(5 * DAY);
    await expectAllowed(token, alice, bob.address, 1n);
  });
});

describe("holder limits", () => {
  it("a new holder beyond maxHolders is refused (code 15); leaving makes room; only non-zero balances count", async () => {
    const token = await deploy({ trackHolders: true, maxHolders: 2n });
    expect((await token.complianceRules())[8]).toBe(1n); // the issuer
    await expectAllowed(token, issuer, alice.address, 10n);
    expect((await token.complianceRules())[8]).toBe(2n);
    await expectRefused(token, issuer, bob.address, 1n, 15, "HolderLimitExceeded", [2n]);
    // alice hands everything to bob: the count stays 2.
    await mined(as(token, alice).transfer(bob.address, 30n));
    expect((await token.complianceRules())[8]).toBe(2n);
    await mined(token.burnTokens(0n));
    await mined(token.forceTransfer(bob.address, carol.address, 30n, "recovery")); // forced: no limit, count kept
    expect((await token.complianceRules())[8]).toBe(2n);
    await expectRevert(as(token, outsider).setHolderLimits(3n, 0n), "AccessControlUnauthorizedAccount");
    await mined(token.setHolderLimits(3n, 0n));
    await expectAllowed(token, issuer, alice.address, 1n);
    expect((await token.complianceRules())[8]).toBe(3n);
    const untracked = await deploy();
    await expectRevert(untracked.setHolderLimits(3n, 0n), "HolderCountNotTracked");
  });

  // Killed the mutant `count >= h.maxHolders` in batchTransfer (npm run test:mutation -- solidity --only
  // batch-holder-limit-boundary): the test above only batches to a receiver who already holds.
  it("a batch may bring the holders exactly to maxHolders, not one beyond", async () => {
    const token = await deploy({ trackHolders: true, maxHolders: 3n });
    await mined(token.batchTransfer([alice.address, bob.address], [1n, 2n]));
    expect((await token.complianceRules())[8]).toBe(3n);
    await expectRevert(token.batchTransfer([carol.address], [1n]), "HolderLimitExceeded", [3n]);
    expect(await token.balanceOf(carol.address)).toBe(0n);
    expect((await token.complianceRules())[8]).toBe(3n);
  });

  it("a receiver's balance beyond maxBalance is refused (code 16); an issuer may hold more", async () => {
    const token = await deploy({ maxBalance: 100n });
    await expectAllowed(token, issuer, alice.address, 30n);
    await expectRefused(token, issuer, alice.address, 11n, 16, "MaxBalanceExceeded", [alice.address, 100n]);
    await expectAllowed(token, alice, issuer.address, 30n);
    await mined(token.setHolderLimits(0n, 0n));
    await expectAllowed(token, issuer, alice.address, 50n);
  });

  // Killed the mutant `toBalance + value >= maxBalance` (npm run test:mutation -- solidity --only
  // max-balance-boundary): the test above never reaches the limit exactly.
  it("a receiver may reach maxBalance exactly, not one unit beyond", async () => {
    const token = await deploy({ maxBalance: 100n });
    await mined(token.transfer(alice.address, 100n));
    expect(await token.balanceOf(alice.address)).toBe(100n);
    await expectRefused(token, issuer, alice.address, 1n, 16, "MaxBalanceExceeded", [alice.address, 100n]);
    await mined(token.batchTransfer([bob.address], [100n]));
    expect(await token.balanceOf(bob.address)).toBe(100n);
  });
});

describe("ERC-1404 and batches", () => {
  it("code 17 for the zero receiver; a message for every code", async () => {
    const token = await deploy();
    expect(await token.detectTransferRestriction(issuer.address, ZeroAddress, 1n)).toBe(17n);
    expect(await token.detectTransferRestriction(alice.address, bob.address, 1n)).toBe(4n);
    for (let code = 0; code <= 17; code++) expect(await token.messageForTransferRestriction(code)).not.toBe("Unknown restriction code");
    expect(await token.messageForTransferRestriction(18)).toBe("Unknown restriction code");
  });

  it("a self-entry cannot make a batch move more than the balance, on the fast and the checked path", async () => {
    for (const config of [{}, { trackHolders: true }]) {
      const token = await deploy(config);
      await mined(token.transfer(alice.address, 10n));
      await expectRevert(as(token, alice).batchTransfer([alice.address], [15n]), "ERC20InsufficientBalance", [alice.address, 10n, 15n]);
      await expectRevert(as(token, alice).batchTransfer([alice.address, bob.address], [10n, 1n]), "ERC20InsufficientBalance", [
        alice.address,
        10n,
        11n,
      ]);
      const receipt = await mined(as(token, alice).batchTransfer([alice.address, bob.address], [4n, 6n]));
      expect(eventsOf(receipt, token, "Transfer").map((event) => event.args[2] as bigint)).toEqual([4n, 6n]);
      expect(await token.balanceOf(alice.address)).toBe(4n);
      expect(await token.balanceOf(bob.address)).toBe(6n);
    }
  });
});

describe("Payout and Voting fixes", () => {
  it("payBatch pays the others when the payout token refuses one holder, and reports it; unpaid() is 0 after reclaim", async () => {
    const token = await deploy();
    await mined(token.batchTransfer([alice.address, bob.address], [100n, 100n]));
    await mined(token.checkpoint());
    const cash = await chain.deploy("BlocklistERC20");
    const expiry = (await chain.latestTimestamp()) + DAY;
    const payout = await chain.deploy("Payout", [await token.getAddress(), 1n, await cash.getAddress(), ZeroAddress, expiry, "Dividend", [issuer.address]]);
    await mined(cash.approve(await payout.getAddress(), 1000n));
    await mined(payout.fund(1000n));
    await mined(cash.setBlocked(alice.address, true));
    const receipt = await mined(payout.payBatch([alice.address, bob.address]));
    expect(eventsOf(receipt, payout, "PaymentFailed")[0].args).toEqual([alice.address, issuer.address, 500n]);
    expect(eventsOf(receipt, payout, "Paid")[0].args).toEqual([bob.address, issuer.address, 500n]);
    expect(await payout.paidTo(alice.address)).toBe(0n);
    expect(await payout.unpaid()).toBe(500n);
    await chain.increaseTime(DAY);
    await mined(payout.reclaim(issuer.address));
    expect(await payout.unpaid()).toBe(0n);
  });

  it("Payout and Voting refuse a KYC address without code", async () => {
    const token = await deploy();
    await mined(token.checkpoint());
    const expiry = (await chain.latestTimestamp()) + DAY;
    await expectRevert(
      chain.deploy("Payout", [await token.getAddress(), 1n, await unrestricted.getAddress(), outsider.address, expiry, "D", []]),
      "KycNotContract",
      [outsider.address],
    );
    await expectRevert(
      chain.deploy("Voting", [await token.getAddress(), 1n, outsider.address, expiry, "Q", ["Yes", "No"], []]),
      "KycNotContract",
      [outsider.address],
    );
  });
});
