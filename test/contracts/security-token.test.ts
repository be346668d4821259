import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ZeroAddress, id, type Contract, type ContractTransactionResponse } from "ethers";
import { as, eventsOf, expectRevert, mined, startTestChain, type TestChain, type TestSigner } from "../helpers/chain";

let chain: TestChain;
let issuer: TestSigner;
let alice: TestSigner;
let bob: TestSigner;
let carol: TestSigner;
let operator: TestSigner;
let outsider: TestSigner;
let unrestricted: Contract;

beforeAll(async () => {
  chain = await startTestChain();
  [issuer, alice, bob, carol, operator, outsider] = chain.signers;
  unrestricted = await chain.deploy("UnrestrictedTransferAgent");
});

afterAll(async () => {
  await chain?.close();
});

async function deployToken(): Promise<Contract> {
  return chain.deploy("SecurityToken", ["Moo Corp", "MOO", "https://example.com/moo"]);
}

/** A token with 1000 issued to the issuer and the unrestricted agent set. */
async function deployIssuedToken(): Promise<Contract> {
  const token = await deployToken();
  await mined(token.setTransferVerifier(await unrestricted.getAddress()));
  await mined(token.issueTokens(1000n));
  return token;
}

const ROLES = {
  DEFAULT_ADMIN_ROLE: "0x" + "00".repeat(32),
  ISSUER_ROLE: id("ISSUER_ROLE"),
  BURNER_ROLE: id("BURNER_ROLE"),
  FORCE_TRANSFER_ROLE: id("FORCE_TRANSFER_ROLE"),
  TRANSFER_VERIFIER_ROLE: id("TRANSFER_VERIFIER_ROLE"),
  CHECKPOINT_ROLE: id("CHECKPOINT_ROLE"),
  ANNOUNCE_ROLE: id("ANNOUNCE_ROLE"),
  TOKEN_INFO_ROLE: id("TOKEN_INFO_ROLE"),
} as const;

describe("SecurityToken metadata", () => {
  it("has name, symbol, url, 18 decimals, no supply and no verifier after deployment", async () => {
    const token = await deployToken();
    expect(await token.name()).toBe("Moo Corp");
    expect(await token.symbol()).toBe("MOO");
    expect(await token.url()).toBe("https://example.com/moo");
    expect(await token.decimals()).toBe(18n);
    expect(await token.totalSupply()).toBe(0n);
    expect(await token.transferVerifier()).toBe(ZeroAddress);
    expect(await token.currentCheckpointId()).toBe(0n);
  });

  it("exposes the role identifiers as keccak256 of their names", async () => {
    const token = await deployToken();
    for (const [name, value] of Object.entries(ROLES)) {
      if (name === "DEFAULT_ADMIN_ROLE") continue;
      expect(await token.getFunction(name)()).toBe(value);
    }
  });

  it("gives the deployer every role", async () => {
    const token = await deployToken();
    for (const role of Object.values(ROLES)) {
      expect(await token.hasRole(role, issuer.address)).toBe(true);
      expect(await token.hasRole(role, alice.address)).toBe(false);
    }
  });

  it("setTokenInformation updates name, symbol and url and emits TokenInformationUpdated", async () => {
    const token = await deployToken();
    const receipt = await mined(token.setTokenInformation("Moo Corporation", "MOOC", "https://moo.example"));
    expect(await token.name()).toBe("Moo Corporation");
    expect(await token.symbol()).toBe("MOOC");
    expect(await token.url()).toBe("https://moo.example");
    const [event] = eventsOf(receipt, token, "TokenInformationUpdated");
    expect(event.args.toArray()).toEqual(["Moo Corporation", "MOOC", "https://moo.example"]);
  });
});

describe("SecurityToken roles: holder allowed, non-holder rejected", () => {
  /** Each role with an action that needs it and a check that the action took effect. */
  interface RoleCase {
    role: keyof typeof ROLES;
    prepare?: (token: Contract, actor: TestSigner) => Promise<void>;
    act: (token: Contract) => Promise<ContractTransactionResponse>;
    check: (token: Contract, actor: TestSigner) => Promise<void>;
  }
  const cases: RoleCase[] = [
    {
      role: "ISSUER_ROLE",
      act: (token) => token.issueTokens(77n),
      check: async (token, actor) => {
        expect(await token.balanceOf(actor.address)).toBe(77n);
        expect(await token.totalSupply()).toBe(1077n);
      },
    },
    {
      role: "BURNER_ROLE",
      prepare: async (token, actor) => {
        await mined(token.transfer(actor.address, 10n));
      },
      act: (token) => token.burnTokens(4n),
      check: async (token, actor) => {
        expect(await token.balanceOf(actor.address)).toBe(6n);
        expect(await token.totalSupply()).toBe(996n);
      },
    },
    {
      role: "FORCE_TRANSFER_ROLE",
      prepare: async (token) => {
        await mined(token.transfer(alice.address, 10n));
      },
      act: (token) => token.forceTransfer(alice.address, bob.address, 3n, "court order 1/2024"),
      check: async (token) => {
        expect(await token.balanceOf(alice.address)).toBe(7n);
        expect(await token.balanceOf(bob.address)).toBe(3n);
      },
    },
    {
      role: "TRANSFER_VERIFIER_ROLE",
      act: (token) => token.setTransferVerifier(ZeroAddress),
      check: async (token) => {
        expect(await token.transferVerifier()).toBe(ZeroAddress);
      },
    },
    {
      role: "CHECKPOINT_ROLE",
      act: (token) => token.checkpoint(),
      check: async (token) => {
        expect(await token.currentCheckpointId()).toBe(1n);
      },
    },
    {
      role: "ANNOUNCE_ROLE",
      act: (token) => token.announce(carol.address, 1n, "Dividend", "https://example.com/d", id("doc")),
      check: async (token) => {
        expect(await token.announcementCount()).toBe(1n);
        expect(await token.isAnnounced(carol.address)).toBe(true);
      },
    },
    {
      role: "TOKEN_INFO_ROLE",
      act: (token) => token.setTokenInformation("New", "NEW", "https://new.example"),
      check: async (token) => {
        expect(await token.name()).toBe("New");
      },
    },
    {
      role: "DEFAULT_ADMIN_ROLE",
      act: (token) => token.grantRole(ROLES.ISSUER_ROLE, carol.address),
      check: async (token) => {
        expect(await token.hasRole(ROLES.ISSUER_ROLE, carol.address)).toBe(true);
      },
    },
  ];

  for (const c of cases) {
    it(`${c.role}: rejected without it, allowed once granted, rejected again once revoked`, async () => {
      const token = await deployIssuedToken();
      const role = ROLES[c.role];
      await c.prepare?.(token, operator);

      await expectRevert(c.act(as(token, operator)), "AccessControlUnauthorizedAccount", [operator.address, role]);

      await mined(token.grantRole(role, operator.address));
      await mined(c.act(as(token, operator)));
      await c.check(token, operator);

      await mined(token.revokeRole(role, operator.address));
      await expectRevert(c.act(as(token, operator)), "AccessControlUnauthorizedAccount", [operator.address, role]);
    });
  }

  it("only the admin can grant roles", async () => {
    const token = await deployIssuedToken();
    await expectRevert(
      as(token, outsider).grantRole(ROLES.ISSUER_ROLE, outsider.address),
      "AccessControlUnauthorizedAccount",
      [outsider.address, ROLES.DEFAULT_ADMIN_ROLE],
    );
    expect(await token.hasRole(ROLES.ISSUER_ROLE, outsider.address)).toBe(false);
  });
});

describe("SecurityToken issue and burn", () => {
  it("issueTokens credits the caller and emits Transfer from 0x0 exactly once, plus Issued", async () => {
    const token = await deployToken();
    const receipt = await mined(token.issueTokens(500n));
    const transfers = eventsOf(receipt, token, "Transfer");
    expect(transfers).toHaveLength(1);
    expect(transfers[0].args.toArray()).toEqual([ZeroAddress, issuer.address, 500n]);
    const issued = eventsOf(receipt, token, "Issued");
    expect(issued).toHaveLength(1);
    expect(issued[0].args.toArray()).toEqual([issuer.address, 500n]);
    expect(await token.balanceOf(issuer.address)).toBe(500n);
    expect(await token.totalSupply()).toBe(500n);
  });

  it("issueTokens works without a transfer verifier", async () => {
    const token = await deployToken();
    await mined(token.issueTokens(1n));
    expect(await token.totalSupply()).toBe(1n);
  });

  it("issueTokens refuses a total supply above 2**160 - 1", async () => {
    const token = await deployToken();
    const max = (1n << 160n) - 1n;
    await mined(token.issueTokens(max - 10n));
    await expectRevert(token.issueTokens(11n), "SupplyOverflow", [max - 10n, 11n]);
    await mined(token.issueTokens(10n));
    expect(await token.totalSupply()).toBe(max);
    await expectRevert(token.issueTokens(1n), "SupplyOverflow", [max, 1n]);
  });

  // Solidity mutant supply-cap-boundary (scripts/mutation-solidity.ts): the cap itself is reachable.
  it("issueTokens reaches maxSupply exactly and refuses one token more", async () => {
    const token = await deployToken();
    await mined(token.setMaxSupply(1000n));
    await mined(token.issueTokens(400n));
    await mined(token.issueTokens(600n));
    expect(await token.totalSupply()).toBe(1000n);
    await expectRevert(token.issueTokens(1n), "MaxSupplyExceeded", [1000n, 1000n, 1n]);
  });

  it("burnTokens debits the caller and emits Transfer to 0x0 exactly once, plus Burned", async () => {
    const token = await deployIssuedToken();
    const receipt = await mined(token.burnTokens(300n));
    const transfers = eventsOf(receipt, token, "Transfer");
    expect(transfers).toHaveLength(1);
    expect(transfers[0].args.toArray()).toEqual([issuer.address, ZeroAddress, 300n]);
    expect(eventsOf(receipt, token, "Burned")[0].args.toArray()).toEqual([issuer.address, 300n]);
    expect(await token.balanceOf(issuer.address)).toBe(700n);
    expect(await token.totalSupply()).toBe(700n);
  });

  it("burnTokens cannot burn more than the caller holds", async () => {
    const token = await deployIssuedToken();
    await expectRevert(token.burnTokens(1001n), "ERC20InsufficientBalance", [issuer.address, 1000n, 1001n]);
    expect(await token.totalSupply()).toBe(1000n);
  });
});

describe("SecurityToken transfer verifier", () => {
  it("rejects every ordinary transfer while no verifier is set", async () => {
    const token = await deployToken();
    await mined(token.issueTokens(100n));
    await expectRevert(token.transfer(alice.address, 1n), "TransferVerifierNotSet");
    await mined(token.approve(alice.address, 10n));
    await expectRevert(as(token, alice).transferFrom(issuer.address, bob.address, 1n), "TransferVerifierNotSet");
    await expectRevert(token.batchTransfer([alice.address], [1n]), "TransferVerifierNotSet");
    expect(await token.balanceOf(issuer.address)).toBe(100n);
  });

  it("setting the verifier to 0x0 stops ordinary transfers again, forced transfers still work", async () => {
    const token = await deployIssuedToken();
    await mined(token.transfer(alice.address, 5n));
    const receipt = await mined(token.setTransferVerifier(ZeroAddress));
    expect(eventsOf(receipt, token, "TransferVerifierChanged")[0].args.toArray()).toEqual([
      await unrestricted.getAddress(),
      ZeroAddress,
    ]);
    await expectRevert(as(token, alice).transfer(bob.address, 1n), "TransferVerifierNotSet");
    await mined(token.forceTransfer(alice.address, bob.address, 1n, "recovery"));
    expect(await token.balanceOf(bob.address)).toBe(1n);
  });

  it("refuses a verifier address without code", async () => {
    const token = await deployToken();
    await expectRevert(token.setTransferVerifier(alice.address), "VerifierNotContract", [alice.address]);
  });

  it("skips calling a verifier that declares itself unrestricted, calls one that does not", async () => {
    const token = await deployToken();
    await mined(token.setTransferVerifier(await unrestricted.getAddress()));
    expect(await token.transferVerifierUnrestricted()).toBe(true);

    const kyc = await chain.deploy("BasicKYC");
    const restricted = await chain.deploy("RestrictedTransferAgent", [await kyc.getAddress()]);
    await mined(token.setTransferVerifier(await restricted.getAddress()));
    expect(await token.transferVerifierUnrestricted()).toBe(false);
  });

  it("treats a verifier without isUnrestricted() as restricted and asks it on every transfer", async () => {
    const token = await deployToken();
    await mined(token.issueTokens(100n));
    const legacy = await chain.deploy("LegacyVerifier");
    await mined(token.setTransferVerifier(await legacy.getAddress()));
    expect(await token.transferVerifierUnrestricted()).toBe(false);
    await mined(token.transfer(alice.address, 10n));
    await mined(legacy.setAllow(false));
    await expectRevert(as(token, alice).transfer(bob.address, 1n), "TransferRejected", [alice.address, bob.address, 1n]);
    await expectRevert(token.batchTransfer([bob.address], [1n]), "TransferRejected", [issuer.address, bob.address, 1n]);
    await mined(legacy.setAllow(true));
    await mined(as(token, alice).transfer(bob.address, 1n));
    expect(await token.balanceOf(bob.address)).toBe(1n);
  });

  describe("restricted transfer agent (both sides whitelisted)", () => {
    let token: Contract;
    let kyc: Contract;

    beforeEach(async () => {
      token = await deployToken();
      kyc = await chain.deploy("BasicKYC");
      const restricted = await chain.deploy("RestrictedTransferAgent", [await kyc.getAddress()]);
      await mined(token.setTransferVerifier(await restricted.getAddress()));
      await mined(token.issueTokens(1000n));
      await mined(kyc.addToWhitelistBatch([issuer.address, alice.address]));
      await mined(token.transfer(alice.address, 100n));
    });

    it("rejects a non-whitelisted receiver", async () => {
      await expectRevert(as(token, alice).transfer(bob.address, 10n), "TransferRejected", [
        alice.address,
        bob.address,
        10n,
      ]);
      expect(await token.balanceOf(bob.address)).toBe(0n);
    });

    it("rejects a non-whitelisted sender", async () => {
      await mined(kyc.addToWhitelist(bob.address));
      await mined(kyc.removeFromWhitelist(alice.address));
      await expectRevert(as(token, alice).transfer(bob.address, 10n), "TransferRejected", [
        alice.address,
        bob.address,
        10n,
      ]);
      expect(await token.balanceOf(alice.address)).toBe(100n);
    });

    it("allows the transfer when both are whitelisted, also through transferFrom", async () => {
      await mined(kyc.addToWhitelist(bob.address));
      await mined(as(token, alice).transfer(bob.address, 10n));
      expect(await token.balanceOf(bob.address)).toBe(10n);
      expect(await token.balanceOf(alice.address)).toBe(90n);

      // transferFrom checks the owner and receiver, not the spender.
      await mined(as(token, alice).approve(carol.address, 5n));
      await mined(as(token, carol).transferFrom(alice.address, bob.address, 5n));
      expect(await token.balanceOf(bob.address)).toBe(15n);
      await mined(as(token, alice).approve(carol.address, 5n));
      await expectRevert(as(token, carol).transferFrom(alice.address, carol.address, 5n), "TransferRejected", [
        alice.address,
        carol.address,
        5n,
      ]);
    });

    it("batchTransfer rejects the batch when one receiver is not whitelisted and names it", async () => {
      await mined(kyc.addToWhitelist(bob.address));
      await expectRevert(token.batchTransfer([alice.address, bob.address, carol.address], [1n, 2n, 3n]), "TransferRejected", [
        issuer.address,
        carol.address,
        3n,
      ]);
      expect(await token.balanceOf(bob.address)).toBe(0n);
      await mined(kyc.addToWhitelist(carol.address));
      await mined(token.batchTransfer([alice.address, bob.address, carol.address], [1n, 2n, 3n]));
      expect(await token.balanceOf(carol.address)).toBe(3n);
    });

    it("forceTransfer ignores the whitelist", async () => {
      await mined(token.forceTransfer(alice.address, outsider.address, 100n, "court order"));
      expect(await token.balanceOf(outsider.address)).toBe(100n);
    });
  });
});

describe("SecurityToken ERC-20 transfers", () => {
  let token: Contract;
  beforeEach(async () => {
    token = await deployIssuedToken();
  });

  it("transfer moves the balance and emits one Transfer", async () => {
    const receipt = await mined(token.transfer(alice.address, 250n));
    expect(await token.balanceOf(alice.address)).toBe(250n);
    expect(await token.balanceOf(issuer.address)).toBe(750n);
    const transfers = eventsOf(receipt, token, "Transfer");
    expect(transfers.map((e) => e.args.toArray())).toEqual([[issuer.address, alice.address, 250n]]);
  });

  it("transfer rejects more than the balance and the zero receiver", async () => {
    await expectRevert(token.transfer(alice.address, 1001n), "ERC20InsufficientBalance", [issuer.address, 1000n, 1001n]);
    await expectRevert(token.transfer(ZeroAddress, 1n), "ERC20InvalidReceiver", [ZeroAddress]);
  });

  it("a transfer to oneself keeps the balance", async () => {
    await mined(token.transfer(issuer.address, 400n));
    expect(await token.balanceOf(issuer.address)).toBe(1000n);
  });

  it("transferFrom spends the allowance; an infinite allowance is not spent", async () => {
    await mined(token.approve(alice.address, 100n));
    expect(await token.allowance(issuer.address, alice.address)).toBe(100n);
    await mined(as(token, alice).transferFrom(issuer.address, bob.address, 60n));
    expect(await token.allowance(issuer.address, alice.address)).toBe(40n);
    expect(await token.balanceOf(bob.address)).toBe(60n);
    await expectRevert(as(token, alice).transferFrom(issuer.address, bob.address, 41n), "ERC20InsufficientAllowance", [
      alice.address,
      40n,
      41n,
    ]);

    const max = (1n << 256n) - 1n;
    await mined(token.approve(alice.address, max));
    await mined(as(token, alice).transferFrom(issuer.address, bob.address, 10n));
    expect(await token.allowance(issuer.address, alice.address)).toBe(max);
  });

  it("approve rejects the zero spender", async () => {
    await expectRevert(token.approve(ZeroAddress, 1n), "ERC20InvalidSpender", [ZeroAddress]);
  });
});

describe("SecurityToken forceTransfer", () => {
  it("moves shares from a lost key to a new address with ForcedTransfer(reason) and exactly one Transfer", async () => {
    const token = await deployIssuedToken();
    const lostKey = alice;
    const newKey = chain.signers[9];
    await mined(token.transfer(lostKey.address, 300n));

    const receipt = await mined(
      token.forceTransfer(lostKey.address, newKey.address, 300n, "Lost key, ticket #42, identity verified"),
    );
    expect(await token.balanceOf(lostKey.address)).toBe(0n);
    expect(await token.balanceOf(newKey.address)).toBe(300n);
    expect(await token.totalSupply()).toBe(1000n);

    const transfers = eventsOf(receipt, token, "Transfer");
    expect(transfers).toHaveLength(1);
    expect(transfers[0].args.toArray()).toEqual([lostKey.address, newKey.address, 300n]);
    const forced = eventsOf(receipt, token, "ForcedTransfer");
    expect(forced).toHaveLength(1);
    expect(forced[0].args.toArray()).toEqual([
      issuer.address,
      lostKey.address,
      newKey.address,
      300n,
      "Lost key, ticket #42, identity verified",
    ]);
    // Every log of the receipt is one of these two.
    expect(receipt.logs).toHaveLength(2);
  });

  it("cannot take more than the holder has, nor move to or from 0x0", async () => {
    const token = await deployIssuedToken();
    await mined(token.transfer(alice.address, 10n));
    await expectRevert(token.forceTransfer(alice.address, bob.address, 11n, "x"), "ERC20InsufficientBalance", [
      alice.address,
      10n,
      11n,
    ]);
    await expectRevert(token.forceTransfer(ZeroAddress, bob.address, 0n, "x"), "ERC20InvalidSender", [ZeroAddress]);
    await expectRevert(token.forceTransfer(alice.address, ZeroAddress, 1n, "x"), "ERC20InvalidReceiver", [ZeroAddress]);
  });
});

describe("SecurityToken batchTransfer", () => {
  let token: Contract;
  beforeEach(async () => {
    token = await deployIssuedToken();
  });

  it("pays every receiver and emits one Transfer per receiver, in order", async () => {
    const receivers = [alice.address, bob.address, carol.address, alice.address];
    const values = [10n, 20n, 30n, 5n];
    const receipt = await mined(token.batchTransfer(receivers, values));
    const transfers = eventsOf(receipt, token, "Transfer").map((e) => e.args.toArray());
    expect(transfers).toEqual(receivers.map((to, i) => [issuer.address, to, values[i]]));
    expect(await token.balanceOf(alice.address)).toBe(15n);
    expect(await token.balanceOf(bob.address)).toBe(20n);
    expect(await token.balanceOf(carol.address)).toBe(30n);
    expect(await token.balanceOf(issuer.address)).toBe(1000n - 65n);
    expect(await token.totalSupply()).toBe(1000n);
  });

  it("rejects arrays of different lengths", async () => {
    await expectRevert(token.batchTransfer([alice.address, bob.address], [1n]), "LengthMismatch", [2n, 1n]);
  });

  it("rejects a batch larger than the balance as a whole, paying nobody", async () => {
    await expectRevert(token.batchTransfer([alice.address, bob.address], [600n, 401n]), "ERC20InsufficientBalance", [
      issuer.address,
      1000n,
      1001n,
    ]);
    expect(await token.balanceOf(alice.address)).toBe(0n);
  });

  // Solidity mutant batch-balance-check-removed (scripts/mutation-solidity.ts): without the check of
  // the whole sum, the debit of the sum less the sender's own entries passes, and a self-entry lets
  // a batch move more than the sender holds.
  it("counts the sender's own entries in the sum its balance must cover", async () => {
    await expectRevert(token.batchTransfer([issuer.address, alice.address], [600n, 401n]), "ERC20InsufficientBalance", [
      issuer.address,
      1000n,
      1001n,
    ]);
    expect(await token.balanceOf(alice.address)).toBe(0n);
    expect(await token.balanceOf(issuer.address)).toBe(1000n);
  });

  it("rejects values that would overflow instead of wrapping", async () => {
    const huge = (1n << 256n) - 1n;
    await expectRevert(token.batchTransfer([alice.address], [huge]), "BalanceOverflow", [alice.address, huge]);
    // Two values whose sum wraps uint256: the checked sum fails (panic 0x11).
    await expect(token.batchTransfer([alice.address, bob.address], [1n << 255n, 1n << 255n])).rejects.toThrow();
    expect(await token.balanceOf(alice.address)).toBe(0n);
  });

  it("rejects the zero receiver", async () => {
    await expectRevert(token.batchTransfer([alice.address, ZeroAddress], [1n, 1n]), "ERC20InvalidReceiver", [ZeroAddress]);
  });

  it("rejects a receiver word with dirty high bits instead of crediting a truncated address", async () => {
    const data = token.interface.encodeFunctionData("batchTransfer", [[alice.address], [1n]]);
    // Layout: selector, offset(to), offset(values), to.length, to[0], ... Set a high byte of to[0].
    const wordStart = 2 + 8 + 64 * 3;
    const dirty = data.slice(0, wordStart) + "01" + data.slice(wordStart + 2);
    await expectRevert(issuer.sendTransaction({ to: token.target, data: dirty }), "ERC20InvalidReceiver", [
      alice.address,
    ]);
    await mined(issuer.sendTransaction({ to: token.target, data }));
    expect(await token.balanceOf(alice.address)).toBe(1n);
  });

  it("accepts an empty batch", async () => {
    const receipt = await mined(token.batchTransfer([], []));
    expect(eventsOf(receipt, token, "Transfer")).toHaveLength(0);
    expect(await token.balanceOf(issuer.address)).toBe(1000n);
  });
});

describe("SecurityToken announcements", () => {
  it("registers announcements with index, fields and event; a contract only once", async () => {
    const token = await deployToken();
    const payout = chain.signers[10].address;
    const vote = chain.signers[11].address;
    const hash = id("terms");
    expect(await token.announce.staticCall(payout, 1n, "Dividend 2024", "https://x/d", hash)).toBe(0n);
    const receipt = await mined(token.announce(payout, 1n, "Dividend 2024", "https://x/d", hash));
    expect(eventsOf(receipt, token, "Announced")[0].args.toArray()).toEqual([
      0n,
      payout,
      1n,
      "Dividend 2024",
      "https://x/d",
      hash,
    ]);
    await mined(token.announce(vote, 2n, "AGM 2024", "https://x/v", ZeroHash()));
    expect(await token.announcementCount()).toBe(2n);
    expect((await token.announcement(1n)).toArray()).toEqual([vote, 2n, "AGM 2024", "https://x/v", ZeroHash()]);
    expect(await token.isAnnounced(payout)).toBe(true);
    expect(await token.isAnnounced(vote)).toBe(true);
    expect(await token.isAnnounced(alice.address)).toBe(false);

    await expectRevert(token.announce(payout, 1n, "again", "", ZeroHash()), "AlreadyAnnounced", [payout]);
    await expectRevert(token.announcement(2n), "NonexistentAnnouncement", [2n]);
  });

  it("allows repeated announcements without a contract (target 0x0)", async () => {
    const token = await deployToken();
    await mined(token.announce(ZeroAddress, 0n, "ISIN", "urn:isin:FI0000000001", ZeroHash()));
    await mined(token.announce(ZeroAddress, 0n, "Articles", "https://x/a", id("articles")));
    expect(await token.announcementCount()).toBe(2n);
    expect(await token.isAnnounced(ZeroAddress)).toBe(false);
  });
});

function ZeroHash(): string {
  return "0x" + "00".repeat(32);
}
