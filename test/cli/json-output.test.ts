import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEPLOYER, startWorld, tokenAddressFrom, type E2eWorld } from "../helpers/e2e";

const HOLDER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

/** Runs a command with --json and parses stdout, which must be exactly one JSON document. */
async function json<T>(world: E2eWorld, args: string[]): Promise<T> {
  const result = await world.ok(["--json", ...args]);
  expect(result.stdout.trim().startsWith("{"), result.stdout).toBe(true);
  return JSON.parse(result.stdout) as T;
}

interface Tx {
  nonce: number;
  status: string;
  txHash: string | null;
  note: string;
  externalId: string | null;
  blockNumber: number | null;
}

// Each test on a chain and database of its own: the nonces and blocks it expects are its own.
describe("--json on every command that prints data", () => {
  let world: E2eWorld;
  beforeEach(async () => {
    world = await startWorld();
  });
  afterEach(() => world.close());

  it("transaction lists, token status, diagnose, nonces and version", async () => {
    const issued = await json<{ tokenAddress: string; transferAgentAddress: string; kycAddress: null; transactions: Tx[] }>(world, [
      "issue", "--symbol=JSN", "--name=Json corp", "--url=https://j.example", "--amount=1000",
    ]);
    const token = issued.tokenAddress;
    expect(issued.kycAddress).toBeNull();
    expect(issued.transactions.map((tx) => [tx.nonce, tx.status])).toEqual([[0, "waiting"], [1, "waiting"], [2, "waiting"], [3, "waiting"]]);

    const broadcast = await json<{ address: string; balanceWei: string; transactions: Tx[] }>(world, ["tx-broadcast"]);
    expect(broadcast.address).toBe(DEPLOYER);
    expect(BigInt(broadcast.balanceWei)).toBeGreaterThan(0n);
    expect(broadcast.transactions.every((tx) => tx.status === "broadcasted" && /^0x[0-9a-f]{64}$/.test(tx.txHash ?? ""))).toBe(true);

    const update = await json<{ transactions: Tx[] }>(world, ["tx-update"]);
    expect(update.transactions.map((tx) => tx.status)).toEqual(["success", "success", "success", "success"]);
    expect(update.transactions.map((tx) => tx.blockNumber)).toEqual([1, 2, 3, 4]);

    const last = await json<{ transactions: Tx[] }>(world, ["tx-last", "--limit", "2"]);
    expect(last.transactions.map((tx) => tx.nonce)).toEqual([3, 2]);

    const status = await json<{ name: string; totalSupply: string; decimals: number; owner: string }>(world, ["token-status", "--address", token]);
    expect(status).toMatchObject({ name: "Json corp", totalSupply: "1000", totalSupplyUnits: "1000000000000000000000", decimals: 18, owner: DEPLOYER });
    expect(status).not.toHaveProperty("totalSupplyText");

    const diagnose = await json<{ chainId: number; address: string; databaseNextNonce: number; networkNonce: number; unfinishedTransactions: number }>(world, ["diagnose"]);
    expect(diagnose).toMatchObject({ chainId: 31337, address: DEPLOYER, databaseNextNonce: 4, networkNonce: 4, unfinishedTransactions: 0 });

    expect(await json<{ nextNonce: number; source: string }>(world, ["tx-next-nonce"])).toMatchObject({ nextNonce: 4, source: "database" });
    expect((await json<{ version: string }>(world, ["version"])).version).toMatch(/^\d+\.\d+\.\d+/);
    expect((await json<{ transactions: Tx[] }>(world, ["issue-logs"])).transactions).toHaveLength(4);
  });

  it("distribution, scan and cap table", async () => {
    const token = tokenAddressFrom(await world.ok(["issue", "--symbol=JSN", "--name=Json corp", "--url=https://j.example", "--amount=1000"]));
    await world.ok(["tx-broadcast"]);
    await world.ok(["tx-update"]);
    const distributed = await json<{ newTransactions: number; newRows: number; transactions: Tx[] }>(world, [
      "distribute-single", `--token-address=${token}`, `--to-address=${HOLDER}`, "--external-id=order-1", "--email=a@example.com", "--name=Alice", "--amount=250",
    ]);
    expect(distributed).toMatchObject({ newTransactions: 1, newRows: 1, newAmount: "250", newAmountUnits: "250000000000000000000" });
    expect(distributed.transactions[0].externalId).toBe("order-1");
    // One share, one transaction, one row: each count once, in the singular.
    const single = await world.ok([
      "distribute-single", `--token-address=${token}`, `--to-address=${HOLDER}`, "--external-id=order-2", "--email=a@example.com", "--name=Alice", "--amount=1",
    ]);
    expect(single.stdout).toContain("Distribution created 1 new transaction for 1 row; already in the database: 0 transactions for 0 rows");
    expect(single.stdout).toContain("Prepared for broadcasting on network local: 1 share in total");
    expect(single.stdout).toContain("Distributing 1 share to Alice");
    expect(single.stdout).not.toMatch(/\b1 (transactions|rows|shares)\b/);
    const broadcast = await world.ok(["tx-broadcast"]);
    expect(broadcast.stdout).toContain("Pending 2 transactions for broadcasting");
    await world.ok(["tx-update"]);

    const scan = await json<{ token: string; symbol: string; events: number; holdersUpdated: number; scannedToBlock: number }>(world, [
      "token-scan", `--token-address=${token}`,
    ]);
    // Issuance (from 0x0) and the two distributions: three Transfer events, two holders.
    expect(scan).toMatchObject({ token, symbol: "JSN", events: 3, holdersUpdated: 2 });
    expect(scan.scannedToBlock).toBe(await world.provider.getBlockNumber());

    const capTable = await json<{ holderCount: number; entries: { address: string; balance: string; percent: string }[] }>(world, [
      "cap-table", `--token-address=${token}`,
    ]);
    expect(capTable.holderCount).toBe(2);
    // The token's deployer holds the undistributed shares: named, though no identity file names it.
    expect(capTable.entries).toEqual([
      expect.objectContaining({ name: "Issuer (treasury)", address: DEPLOYER, balance: "749", balanceUnits: "749000000000000000000", percent: "74.90" }),
      expect.objectContaining({ name: null, address: HOLDER, balance: "251", balanceUnits: "251000000000000000000", percent: "25.10" }),
    ]);
    expect((await world.ok(["cap-table", `--token-address=${token}`, "--wide"])).stdout).toMatch(/Issuer \(treasury\)\s*│\s*0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266/);
  });

  it("errors stay one line on stderr with nothing on stdout", async () => {
    const result = await world.sto(["--json", "token-status", "--address", "0x1234"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });
});
