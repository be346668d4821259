import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Wallet } from "ethers";
import { DEVELOPMENT_PRIVATE_KEY } from "../../src/chain/local-node";
import { closedNodeUrl } from "../helpers/cli";
import { startWorld, worldFixture, type E2eWorld } from "../helpers/e2e";

const countTransactions = (world: E2eWorld): number =>
  fs.existsSync(world.databaseFile) ? world.query<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions")[0].n : 0;

function expectOneLineError(result: { code: number | null; stderr: string }, code: number, pattern: RegExp): void {
  expect(result.code).toBe(code);
  const errorLines = result.stderr.split("\n").filter((line) => line.startsWith("error:"));
  expect(errorLines).toHaveLength(1);
  expect(errorLines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

// Each test on a fresh chain and no database yet (a copy of the empty start): "nothing written"
// and "the first use of the database" are its own.
describe("bad input and mismatched state: one line, non-zero exit, nothing written", () => {
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

  it("refuses restricted issuance without a KYC contract and says how to get one", async () => {
    const result = await world.sto(["issue", "--symbol=X", "--name=X", "--url=https://x", "--amount=1", "--transfer-restriction=restricted"]);
    expectOneLineError(result, 1, /no KYC contract .*"sto kyc-deploy"/);
    expect(countTransactions(world)).toBe(0);
  });

  it("rejects a malformed or mis-checksummed address", async () => {
    await world.ok(["kyc-deploy"]);
    const before = countTransactions(world);
    const bad = await world.sto(["kyc-manage", "--whitelist-address=0x1234"]);
    expectOneLineError(bad, 1, /--whitelist-address: "0x1234" is not an Ethereum address/);
    const checksum = await world.sto(["kyc-manage", "--whitelist-address=0x70997970c51812dc3a010c7d01b50e0d17dc79C8"]);
    expectOneLineError(checksum, 1, /checksum is wrong/);
    expect(countTransactions(world)).toBe(before);
  });

  it("rejects a malformed private key without printing it", async () => {
    const key = "12345678".repeat(7);
    const result = await world.sto(["--ethereum-private-key", key, "issue", "--symbol=X", "--name=X", "--url=https://x", "--amount=1"]);
    expectOneLineError(result, 1, /64 hexadecimal digits/);
    expect(result.stderr + result.stdout).not.toContain(key);
  });

  it("rejects bad amounts and restriction modes", async () => {
    const before = countTransactions(world);
    expectOneLineError(await world.sto(["issue", "--symbol=X", "--name=X", "--url=https://x", "--amount=-5"]), 1, /--amount: "-5" is not a positive decimal/);
    expectOneLineError(await world.sto(["issue", "--symbol=X", "--name=X", "--url=https://x", "--amount=1.0000000000000000001"]), 1, /more than 18 decimal places/);
    expectOneLineError(await world.sto(["issue", "--symbol=X", "--name=X", "--url=https://x", "--amount=1", "--transfer-restriction=maybe"]), 1, /--transfer-restriction: "maybe" must be one of unrestricted, restricted, kyc, soul-bound, time-locked/);
    expect(countTransactions(world)).toBe(before);
  });

  it("stops when the database belongs to another chain id", async () => {
    const other = await startWorld({ chainId: 1337 });
    try {
      const ini = path.join(other.dir, "net.ini");
      fs.writeFileSync(ini, `[network.private]\nchain-id = 31337\n`);
      // First use of the database file: recorded for network "private" as chain 31337.
      const key = ["--ethereum-private-key", DEVELOPMENT_PRIVATE_KEY];
      await world.ok(["--config", ini, "--network", "private", ...key, "tx-next-nonce"]);
      fs.writeFileSync(ini, `[network.private]\nchain-id = 1337\n`);
      const result = await world.sto(["--config", ini, "--network", "private", ...key, "--ethereum-node-url", other.chain.url, "tx-next-nonce"]);
      expectOneLineError(result, 4, /belongs to network private on chain id 31337, but the node is on chain id 1337/);
      const wrongNode = await world.sto(["--ethereum-node-url", other.chain.url, "tx-next-nonce"]);
      expectOneLineError(wrongNode, 4, /is on chain id 1337, but network local is chain id 31337/);
    } finally {
      await other.close();
    }
  });

  it("stops at nonce drift: a transaction sent outside sto with the same key", async () => {
    const drift = await startWorld();
    try {
      await drift.ok(["issue", "--symbol=D", "--name=Drift", "--url=https://d", "--amount=5"]);
      const wallet = new Wallet(DEVELOPMENT_PRIVATE_KEY, drift.provider);
      await (await wallet.sendTransaction({ to: wallet.address, value: 1n })).wait();
      const result = await drift.sto(["tx-broadcast"]);
      expectOneLineError(result, 4, /nonce 0 of .* was used on local by a transaction this database did not prepare/);
      expect(drift.query<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions WHERE status != 'waiting'")[0].n).toBe(0);
      expect(await drift.provider.getTransactionCount(wallet.address)).toBe(1);
    } finally {
      await drift.close();
    }
  });

  it("explains an unreachable local node", async () => {
    const result = await world.sto(["--ethereum-node-url", await closedNodeUrl(), "diagnose"]);
    expectOneLineError(result, 3, /cannot reach the Ethereum node .*"sto node"/);
  });
});
