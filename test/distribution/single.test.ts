import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorld, type E2eWorld } from "../helpers/e2e";
import { balancesOf, errorLines, issueToken, settle, transactionCount } from "./helpers";

const ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const BOB = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const single = (token: string, externalId: string, to: string, amount: string): string[] => [
  "distribute-single",
  `--token-address=${token}`,
  `--to-address=${to}`,
  `--external-id=${externalId}`,
  "--email=alice@example.com",
  "--name=Alice",
  `--amount=${amount}`,
];

describe("distribute-single", () => {
  let world: E2eWorld;
  let tokenAddress: string;
  beforeAll(async () => {
    world = await startWorld();
    tokenAddress = await issueToken(world, { amount: "10000" });
  });
  afterAll(() => world.close());

  it("prepares one transfer; the same external id again prepares nothing; another amount or receiver is refused", async () => {
    const first = await world.ok(single(tokenAddress, "order-1", ALICE, "12.5"));
    expect(first.stdout).toContain("Distribution created 1 new transaction for 1 row; already in the database: 0 transactions for 0 rows");
    expect(first.stdout).toContain("Distributing 12.5 shares to Alice (alice@example.com)");
    const row = world.query<{ external_id: string; receiver: string; status: string }>(
      "SELECT external_id, receiver, status FROM prepared_transactions WHERE external_id = 'order-1'",
    );
    expect(row).toEqual([{ external_id: "order-1", receiver: ALICE, status: "waiting" }]);

    const second = await world.ok(single(tokenAddress, "order-1", ALICE, "12.50"));
    expect(second.stdout).toContain("Distribution created 0 new transactions for 0 rows; already in the database: 1 transaction for 1 row");

    const before = transactionCount(world);
    const otherAmount = await world.sto(single(tokenAddress, "order-1", ALICE, "13"));
    expect(otherAmount.code).toBe(1);
    expect(errorLines(otherAmount.stderr)).toEqual([
      expect.stringMatching(/^error: --amount "13": external_id order-1 was prepared earlier with amount 12\.5 \(transaction nonce \d+, waiting\); an external_id is paid once; nothing prepared$/),
    ]);
    const otherReceiver = await world.sto(single(tokenAddress, "order-1", BOB, "12.5"));
    expect(errorLines(otherReceiver.stderr)).toEqual([expect.stringMatching(/^error: --to-address "0x3C44.*": external_id order-1 was prepared earlier for 0x7099/)]);
    const bad = await world.sto(single(tokenAddress, " ", "0x1234", "1.2.3"));
    expect(errorLines(bad.stderr)).toEqual([
      "error: distribute-single: 3 invalid options, nothing prepared",
      'error: --external-id " ": is empty: every payment needs a unique external_id',
      'error: --to-address "0x1234": not an Ethereum address',
      'error: --amount "1.2.3": not a positive decimal number',
    ]);
    expect(transactionCount(world)).toBe(before);

    await settle(world);
    expect(await balancesOf(world, tokenAddress, [ALICE])).toEqual([125n * 10n ** 17n]);
    const afterMining = await world.ok(single(tokenAddress, "order-1", ALICE, "12.5"));
    expect(afterMining.stdout).toContain("Distribution created 0 new transactions for 0 rows; already in the database: 1 transaction for 1 row");
  });

  it("counts prepared but unmined payments against the balance, and says how much is missing", async () => {
    const token = await issueToken(world, { amount: "10000" });
    await world.ok(single(token, "big-1", BOB, "6000"));
    const before = transactionCount(world);
    const refused = await world.sto(single(token, "big-2", BOB, "4012.5"));
    expect(refused.code).toBe(1);
    expect(errorLines(refused.stderr)).toEqual([
      "error: the broadcasting account 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 holds 10000 tokens, 6000 of it already prepared for earlier payments not mined yet; the 1 row to pay needs 4012.5: 12.5 missing; nothing prepared",
    ]);
    expect(transactionCount(world)).toBe(before);
    // Mined: the balance itself is lower now, and nothing is counted twice.
    await settle(world);
    const stillRefused = await world.sto(single(token, "big-2", BOB, "4012.5"));
    expect(stillRefused.code).toBe(1);
    expect(errorLines(stillRefused.stderr)).toEqual([
      "error: the broadcasting account 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 holds 4000 tokens; the 1 row to pay needs 4012.5: 12.5 missing; nothing prepared",
    ]);
    await world.ok(single(token, "big-2", BOB, "4000"));
  });

  it("prepares a payment again when its transaction failed on chain, keeping the failed one for the audit", async () => {
    const other = await startWorld();
    try {
      const otherToken = await issueToken(other, { amount: "100" });
      // A gas limit far too low for a transfer: mined, reverted (out of gas).
      const starved = await other.ok(["--ethereum-gas-limit=30000", ...single(otherToken, "retry-1", ALICE, "5")]);
      expect(starved.stderr).toMatch(/warning: the configured gas limit 30000 is used for every transaction, below the \d+ gas/);
      await settle(other);
      expect(other.query<{ status: string }>("SELECT status FROM prepared_transactions WHERE external_id = 'retry-1'")).toEqual([{ status: "failed" }]);

      const retried = await other.ok(single(otherToken, "retry-1", ALICE, "5"));
      expect(retried.stdout).toContain("Distribution created 1 new transaction for 1 row, 1 of them again after a failed transaction; already in the database: 0 transactions for 0 rows");
      expect(retried.stdout.match(/\b1 new transaction\b/g)).toHaveLength(1);
      await settle(other);
      expect(await balancesOf(other, otherToken, [ALICE])).toEqual([5n * 10n ** 18n]);
      const payments = other.query<{ superseded_at: string | null; status: string }>(
        "SELECT p.superseded_at, t.status FROM distribution_payments p JOIN prepared_transactions t ON t.id = p.transaction_id ORDER BY p.id",
      );
      expect(payments.map((payment) => [payment.status, payment.superseded_at === null])).toEqual([
        ["failed", false],
        ["success", true],
      ]);
      const again = await other.ok(single(otherToken, "retry-1", ALICE, "5"));
      expect(again.stdout).toContain("Distribution created 0 new transactions for 0 rows; already in the database: 1 transaction for 1 row");
    } finally {
      await other.close();
    }
  });
});
