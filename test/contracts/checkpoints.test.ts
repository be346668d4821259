import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Contract } from "ethers";
import { as, eventsOf, expectRevert, mined, startTestChain, type TestChain, type TestSigner } from "../helpers/chain";
import { seededRandom } from "../helpers/random";

let chain: TestChain;
let issuer: TestSigner;
let alice: TestSigner;
let bob: TestSigner;
let carol: TestSigner;
let dave: TestSigner;
let never: TestSigner;
let unrestricted: Contract;

beforeAll(async () => {
  chain = await startTestChain();
  [issuer, alice, bob, carol, dave, never] = chain.signers;
  unrestricted = await chain.deploy("UnrestrictedTransferAgent");
});

afterAll(async () => {
  await chain?.close();
});

async function deployToken(): Promise<Contract> {
  const token = await chain.deploy("SecurityToken", ["Moo Corp", "MOO", "https://example.com"]);
  await mined(token.setTransferVerifier(await unrestricted.getAddress()));
  return token;
}

async function balancesAt(token: Contract, checkpointId: bigint, accounts: TestSigner[]): Promise<bigint[]> {
  return Promise.all(accounts.map((a) => token.balanceOfAt(a.address, checkpointId) as Promise<bigint>));
}

describe("checkpoint()", () => {
  it("returns consecutive ids from 1 and emits CheckpointCreated with block number and time", async () => {
    const token = await deployToken();
    expect(await token.checkpoint.staticCall()).toBe(1n);
    const receipt = await mined(token.checkpoint());
    const block = await chain.provider.getBlock(receipt.blockNumber);
    const [event] = eventsOf(receipt, token, "CheckpointCreated");
    expect(event.args.toArray()).toEqual([1n, BigInt(receipt.blockNumber), BigInt(block?.timestamp ?? -1)]);
    expect(await token.checkpoint.staticCall()).toBe(2n);
    await mined(token.checkpoint());
    expect(await token.currentCheckpointId()).toBe(2n);
  });

  it("balanceOfAt and totalSupplyAt reject checkpoint 0 and ids not taken yet", async () => {
    const token = await deployToken();
    await expectRevert(token.balanceOfAt(alice.address, 0n), "NonexistentCheckpoint", [0n]);
    await expectRevert(token.totalSupplyAt(1n), "NonexistentCheckpoint", [1n]);
    await mined(token.checkpoint());
    expect(await token.totalSupplyAt(1n)).toBe(0n);
    await expectRevert(token.balanceOfAt(alice.address, 2n), "NonexistentCheckpoint", [2n]);
    await expectRevert(token.totalSupplyAt(0n), "NonexistentCheckpoint", [0n]);
    await expectRevert(token.totalSupplyAt(2n ** 200n), "NonexistentCheckpoint", [2n ** 200n]);
  });
});

describe("balances at checkpoints", () => {
  let token: Contract;

  beforeEach(async () => {
    token = await deployToken();
    await mined(token.issueTokens(1000n));
    await mined(token.batchTransfer([alice.address, bob.address], [100n, 50n]));
  });

  it("keep the record-date values after later transfers, issues, burns and forced transfers", async () => {
    await mined(token.checkpoint()); // 1: issuer 850, alice 100, bob 50, supply 1000
    await mined(as(token, alice).transfer(carol.address, 30n));
    await mined(token.issueTokens(500n));
    await mined(token.burnTokens(200n));
    await mined(token.forceTransfer(bob.address, dave.address, 50n, "lost key"));
    // now: issuer 1150, alice 70, bob 0, carol 30, dave 50, supply 1300

    const accounts = [issuer, alice, bob, carol, dave, never];
    expect(await balancesAt(token, 1n, accounts)).toEqual([850n, 100n, 50n, 0n, 0n, 0n]);
    expect(await token.totalSupplyAt(1n)).toBe(1000n);

    await mined(token.checkpoint()); // 2
    await mined(token.checkpoint()); // 3, nothing changed in between
    expect(await balancesAt(token, 2n, accounts)).toEqual([1150n, 70n, 0n, 30n, 50n, 0n]);
    expect(await balancesAt(token, 3n, accounts)).toEqual([1150n, 70n, 0n, 30n, 50n, 0n]);
    expect(await token.totalSupplyAt(2n)).toBe(1300n);
    expect(await token.totalSupplyAt(3n)).toBe(1300n);

    await mined(as(token, dave).transfer(alice.address, 20n));
    await mined(token.burnTokens(150n));
    await mined(token.checkpoint()); // 4
    await mined(as(token, alice).transfer(bob.address, 90n));

    expect(await balancesAt(token, 1n, accounts)).toEqual([850n, 100n, 50n, 0n, 0n, 0n]);
    expect(await balancesAt(token, 3n, accounts)).toEqual([1150n, 70n, 0n, 30n, 50n, 0n]);
    expect(await balancesAt(token, 4n, accounts)).toEqual([1000n, 90n, 0n, 30n, 30n, 0n]);
    expect(await token.totalSupplyAt(1n)).toBe(1000n);
    expect(await token.totalSupplyAt(3n)).toBe(1300n);
    expect(await token.totalSupplyAt(4n)).toBe(1150n);
    // Current values are unaffected by the history.
    expect(await token.balanceOf(alice.address)).toBe(0n);
    expect(await token.balanceOf(bob.address)).toBe(90n);
    expect(await token.totalSupply()).toBe(1150n);
  });

  it("an account that went to zero and came back reads zero for the checkpoints in between", async () => {
    await mined(token.checkpoint()); // 1: bob 50
    await mined(as(token, bob).transfer(carol.address, 50n)); // bob 0
    await mined(token.checkpoint()); // 2: bob 0
    await mined(token.checkpoint()); // 3: bob 0
    await mined(token.transfer(bob.address, 7n)); // bob 7
    await mined(token.checkpoint()); // 4: bob 7
    await mined(token.transfer(bob.address, 1n)); // bob 8
    expect(await balancesAt(token, 1n, [bob])).toEqual([50n]);
    expect(await balancesAt(token, 2n, [bob])).toEqual([0n]);
    expect(await balancesAt(token, 3n, [bob])).toEqual([0n]);
    expect(await balancesAt(token, 4n, [bob])).toEqual([7n]);
    expect(await token.balanceOf(bob.address)).toBe(8n);
  });

  it("a holder that first received tokens after checkpoints reads zero for them", async () => {
    await mined(token.checkpoint()); // 1
    await mined(token.checkpoint()); // 2
    await mined(token.transfer(dave.address, 40n));
    await mined(token.checkpoint()); // 3
    await mined(as(token, dave).transfer(alice.address, 40n));
    expect(await balancesAt(token, 1n, [dave])).toEqual([0n]);
    expect(await balancesAt(token, 2n, [dave])).toEqual([0n]);
    expect(await balancesAt(token, 3n, [dave])).toEqual([40n]);
    expect(await token.balanceOf(dave.address)).toBe(0n);
  });

  it("changes in the same block as the checkpoint, before and after it, fall on the right side", async () => {
    const [first] = [await mined(token.transfer(carol.address, 1n))];
    expect(first.status).toBe(1);
    await chain.provider.send("evm_setAutomine", [false]);
    try {
      const before = await token.transfer(carol.address, 10n);
      const cp = await token.checkpoint();
      const after = await token.transfer(carol.address, 100n);
      await chain.mine();
      const receipts = await Promise.all([before.wait(), cp.wait(), after.wait()]);
      expect(new Set(receipts.map((r) => r?.blockNumber)).size).toBe(1);
    } finally {
      await chain.provider.send("evm_setAutomine", [true]);
    }
    expect(await balancesAt(token, 1n, [carol])).toEqual([11n]);
    expect(await token.balanceOf(carol.address)).toBe(111n);
  });

  it("the total supply before the first issuance reads zero", async () => {
    const fresh = await deployToken();
    await mined(fresh.checkpoint()); // 1: nothing issued
    await mined(fresh.issueTokens(10n));
    await mined(fresh.checkpoint()); // 2
    await mined(fresh.issueTokens(5n));
    expect(await fresh.totalSupplyAt(1n)).toBe(0n);
    expect(await fresh.totalSupplyAt(2n)).toBe(10n);
    expect(await fresh.balanceOfAt(issuer.address, 1n)).toBe(0n);
    expect(await fresh.balanceOfAt(issuer.address, 2n)).toBe(10n);
  });
});

describe("balances at checkpoints against a model (random operations)", () => {
  it("agree with a straightforward bookkeeping of every balance at every checkpoint", async () => {
    const token = await deployToken();
    const holders = [issuer, alice, bob, carol, dave];
    const everyone = [...holders, never];
    const balance = new Map<string, bigint>(everyone.map((s) => [s.address, 0n]));
    let supply = 0n;
    const snapshots: Array<{ balances: Map<string, bigint>; supply: bigint }> = [];

    const random = seededRandom(0x5eed1234);
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
    const amountUpTo = (max: bigint): bigint => (max === 0n ? 0n : BigInt(Math.floor(random() * Number(max + 1n))));
    const move = (from: string, to: string, value: bigint): void => {
      balance.set(from, (balance.get(from) ?? 0n) - value);
      balance.set(to, (balance.get(to) ?? 0n) + value);
    };

    await mined(token.issueTokens(10_000n));
    supply += 10_000n;
    balance.set(issuer.address, 10_000n);

    for (let step = 0; step < 120; step++) {
      const r = random();
      if (r < 0.15) {
        await mined(token.checkpoint());
        snapshots.push({ balances: new Map(balance), supply });
      } else if (r < 0.55) {
        const from = pick(holders);
        const to = pick(everyone.filter((s) => s !== from && s !== never));
        const value = amountUpTo(balance.get(from.address) ?? 0n);
        await mined(as(token, from).transfer(to.address, value));
        move(from.address, to.address, value);
      } else if (r < 0.65) {
        const receivers = [pick(holders), pick(holders)].map((s) => s.address);
        const available = balance.get(issuer.address) ?? 0n;
        const values = [amountUpTo(available / 2n), amountUpTo(available / 2n)];
        await mined(token.batchTransfer(receivers, values));
        move(issuer.address, receivers[0], values[0]);
        move(issuer.address, receivers[1], values[1]);
      } else if (r < 0.75) {
        const value = amountUpTo(500n);
        await mined(token.issueTokens(value));
        balance.set(issuer.address, (balance.get(issuer.address) ?? 0n) + value);
        supply += value;
      } else if (r < 0.85) {
        const value = amountUpTo(balance.get(issuer.address) ?? 0n);
        await mined(token.burnTokens(value));
        balance.set(issuer.address, (balance.get(issuer.address) ?? 0n) - value);
        supply -= value;
      } else {
        const from = pick(holders.slice(1));
        const to = pick(holders);
        const value = amountUpTo(balance.get(from.address) ?? 0n);
        await mined(token.forceTransfer(from.address, to.address, value, `step ${step}`));
        move(from.address, to.address, value);
      }
    }

    expect(snapshots.length).toBeGreaterThan(5);
    expect(await token.currentCheckpointId()).toBe(BigInt(snapshots.length));
    for (let i = 0; i < snapshots.length; i++) {
      const checkpointId = BigInt(i + 1);
      const expected = everyone.map((s) => snapshots[i].balances.get(s.address) ?? 0n);
      expect(await balancesAt(token, checkpointId, everyone), `balances at checkpoint ${checkpointId}`).toEqual(expected);
      expect(await token.totalSupplyAt(checkpointId), `supply at checkpoint ${checkpointId}`).toBe(snapshots[i].supply);
    }
    for (const s of everyone) expect(await token.balanceOf(s.address)).toBe(balance.get(s.address));
    expect(await token.totalSupply()).toBe(supply);
  });
});
