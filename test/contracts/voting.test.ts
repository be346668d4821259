import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ZeroAddress, type Contract } from "ethers";
import { as, eventsOf, expectRevert, mined, startTestChain, tokenWithRecordDate, type TestChain, type TestSigner } from "../helpers/chain";

let chain: TestChain;
let issuer: TestSigner;
let alice: TestSigner;
let bob: TestSigner;
let carol: TestSigner;
let dave: TestSigner;
let outsider: TestSigner;

let token: Contract;
let checkpointId: bigint;

const DAY = 24 * 60 * 60;
const OPTIONS = ["Yes", "No", "Abstain"];

beforeAll(async () => {
  chain = await startTestChain();
  [issuer, alice, bob, carol, dave, outsider] = chain.signers;
});

afterAll(async () => {
  await chain?.close();
});

/**
 * At the checkpoint: issuer (treasury) 400, alice 100, bob 200, carol 300.
 * After it: alice sends 50 to dave (a new holder), carol sends everything to bob.
 */
beforeEach(async () => {
  ({ token, checkpointId } = await tokenWithRecordDate(chain, [alice, bob, carol, dave]));
});

interface VotingOptions {
  kyc?: string;
  excluded?: string[];
  endsIn?: number;
  options?: string[];
  checkpoint?: bigint;
}

async function deployVoting(options: VotingOptions = {}): Promise<Contract> {
  const endTime = (await chain.latestTimestamp()) + (options.endsIn ?? 7 * DAY);
  return chain.deploy("Voting", [
    await token.getAddress(),
    options.checkpoint ?? checkpointId,
    options.kyc ?? ZeroAddress,
    endTime,
    "Approve the 2024 accounts?",
    options.options ?? OPTIONS,
    options.excluded ?? [issuer.address],
  ]);
}

describe("Voting deployment", () => {
  it("records the ballot", async () => {
    const voting = await deployVoting();
    expect(await voting.name()).toBe("Approve the 2024 accounts?");
    expect(await voting.token()).toBe(await token.getAddress());
    expect(await voting.checkpointId()).toBe(checkpointId);
    expect(await voting.kyc()).toBe(ZeroAddress);
    expect(await voting.options()).toEqual(OPTIONS);
    expect(await voting.optionCount()).toBe(3n);
    expect(await voting.results()).toEqual([0n, 0n, 0n]);
    expect(await voting.eligibleSupply()).toBe(600n);
    expect(await voting.excluded()).toEqual([issuer.address]);
    expect(await voting.isOpen()).toBe(true);
  });

  it("rejects bad parameters", async () => {
    await expectRevert(deployVoting({ options: ["Yes"] }), "TooFewOptions", [1n]);
    await expectRevert(deployVoting({ options: ["Yes", ""] }), "EmptyOption", [1n]);
    await expectRevert(deployVoting({ endsIn: -1 }), "EndTimeNotInFuture");
    await expectRevert(deployVoting({ checkpoint: 0n }), "NonexistentCheckpoint", [0n]);
    await expectRevert(deployVoting({ checkpoint: checkpointId + 1n }), "NonexistentCheckpoint", [checkpointId + 1n]);
    await expectRevert(deployVoting({ excluded: [alice.address, alice.address] }), "DuplicateExclusion", [alice.address]);
  });
});

describe("Voting", () => {
  it("weights each vote with the balance at the checkpoint and tallies the results", async () => {
    const voting = await deployVoting();
    expect(await voting.weightOf(alice.address)).toBe(100n); // holds 50 now
    expect(await voting.weightOf(bob.address)).toBe(200n); // holds 500 now

    const receipt = await mined(as(voting, alice).vote(0n));
    expect(eventsOf(receipt, voting, "Voted").map((e) => e.args.toArray())).toEqual([[alice.address, 0n, 100n]]);
    await mined(as(voting, bob).vote(1n));
    await mined(as(voting, carol).vote(0n)); // sold everything after the record date, still votes 300

    expect(await voting.results()).toEqual([400n, 200n, 0n]);
    expect(await voting.optionWeight(0n)).toBe(400n);
    expect(await voting.optionWeight(1n)).toBe(200n);
    expect(await voting.voterCount()).toBe(3n);
    expect(await voting.totalVotedWeight()).toBe(600n);
    expect(await voting.hasVoted(bob.address)).toBe(true);
    expect((await voting.voteOf(bob.address)).toArray()).toEqual([true, 1n, 200n]);
    expect((await voting.voteOf(dave.address)).toArray()).toEqual([false, 0n, 0n]);
    await expectRevert(voting.optionWeight(3n), "NonexistentOption", [3n]);
  });

  it("rejects a second vote, also for another option", async () => {
    const voting = await deployVoting();
    await mined(as(voting, alice).vote(2n));
    await expectRevert(as(voting, alice).vote(2n), "AlreadyVoted", [alice.address, 2n]);
    await expectRevert(as(voting, alice).vote(0n), "AlreadyVoted", [alice.address, 2n]);
    expect(await voting.results()).toEqual([0n, 0n, 100n]);
    expect(await voting.voterCount()).toBe(1n);
  });

  it("rejects a voter with no balance at the checkpoint, even if it holds shares now", async () => {
    const voting = await deployVoting();
    expect(await token.balanceOf(dave.address)).toBe(50n);
    await expectRevert(as(voting, dave).vote(0n), "NoVotingWeight", [dave.address]);
    await expectRevert(as(voting, outsider).vote(0n), "NoVotingWeight", [outsider.address]);
    expect(await voting.voterCount()).toBe(0n);
  });

  it("rejects a nonexistent option", async () => {
    const voting = await deployVoting();
    await expectRevert(as(voting, alice).vote(3n), "NonexistentOption", [3n]);
  });

  it("rejects votes from the end time on", async () => {
    const voting = await deployVoting({ endsIn: DAY });
    const endTime = (await voting.endTime()) as bigint;
    await mined(as(voting, alice).vote(0n));
    await chain.increaseTime(DAY);
    expect(await voting.isOpen()).toBe(false);
    await expectRevert(as(voting, bob).vote(0n), "VotingClosed", [endTime]);
    expect(await voting.results()).toEqual([100n, 0n, 0n]);
  });

  it("rejects excluded addresses (the treasury)", async () => {
    const voting = await deployVoting();
    expect(await voting.weightOf(issuer.address)).toBe(0n);
    expect(await voting.canVote(issuer.address)).toBe(false);
    await expectRevert(voting.vote(0n), "NotEligible", [issuer.address]);
  });

  it("without exclusions, the treasury votes like any holder", async () => {
    const voting = await deployVoting({ excluded: [] });
    expect(await voting.eligibleSupply()).toBe(1000n);
    await mined(voting.vote(1n));
    expect(await voting.results()).toEqual([0n, 400n, 0n]);
  });

  it("with KYC, only whitelisted holders vote", async () => {
    const kyc = await chain.deploy("BasicKYC");
    await mined(kyc.addToWhitelist(alice.address));
    const voting = await deployVoting({ kyc: await kyc.getAddress() });
    expect(await voting.canVote(bob.address)).toBe(false);
    await expectRevert(as(voting, bob).vote(0n), "NotEligible", [bob.address]);
    await mined(as(voting, alice).vote(0n));
    await mined(kyc.addToWhitelist(bob.address));
    await mined(as(voting, bob).vote(1n));
    expect(await voting.results()).toEqual([100n, 200n, 0n]);
  });
});
