import fs from "node:fs";
import path from "node:path";
import { parseUnits } from "ethers";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ENGINES, startWorld, type E2eWorld } from "../helpers/e2e";
import { EXAMPLE_CSV, balancesOf, countTransactions, errorLines, issueToken, readSimpleCsv, settle, transactionCount } from "./helpers";

const example = readSimpleCsv(EXAMPLE_CSV);

interface PaymentRow {
  external_id: string;
  receiver: string;
  amount: string;
  email: string;
  name: string;
  source: string;
  transaction_id: number;
  superseded_at: string | null;
}

// On PostgreSQL too: the payments are written with the unit of work's client, and their unique index is the guard.
describe.each(ENGINES)("the manual's distribution step with example-distribution.csv (%s)", (engine) => {
  let world: E2eWorld;
  beforeAll(async () => {
    world = await startWorld({ engine });
  });
  afterAll(() => world.close());

  it("pays every row of the example once on an unrestricted token, however often it runs", async () => {
    const tokenAddress = await issueToken(world);
    const distributed = await world.ok(["distribute-multiple", `--csv-input=${EXAMPLE_CSV}`, `--address=${tokenAddress}`]);
    expect(distributed.stdout).toContain(`Distribution created ${example.length} new transactions for ${example.length} rows; already in the database: 0 transactions for 0 rows`);
    expect(distributed.stdout).toContain("Distributing 300 shares to Alice Founder (alice@example.com)");

    const rows = await world.rows<{ external_id: string; receiver: string; function_signature: string; status: string }>(
      "SELECT external_id, receiver, function_signature, status FROM prepared_transactions WHERE external_id IS NOT NULL AND to_address = ? ORDER BY nonce",
      tokenAddress,
    );
    expect(rows).toEqual(example.map((row) => ({ external_id: row.external_id, receiver: row.address, function_signature: "transfer(address,uint256)", status: "waiting" })));
    const payments = await world.rows<PaymentRow>("SELECT * FROM distribution_payments WHERE token_address = ? ORDER BY id", tokenAddress);
    expect(payments.map((payment) => [payment.external_id, payment.receiver, payment.amount, payment.email, payment.name])).toEqual(
      example.map((row) => [row.external_id, row.address, parseUnits(row.amount, 18).toString(), row.email, row.name]),
    );
    expect(payments[0].source).toMatch(/example-distribution\.csv:2$/);

    // Before broadcasting: the rows are prepared, so nothing new.
    const again = await world.ok(["distribute-multiple", `--csv-input=${EXAMPLE_CSV}`, `--address=${tokenAddress}`]);
    expect(again.stdout).toContain(`Distribution created 0 new transactions for 0 rows; already in the database: ${example.length} transactions for ${example.length} rows`);

    await settle(world);
    const balances = await balancesOf(world, tokenAddress, example.map((row) => row.address));
    expect(balances).toEqual(example.map((row) => parseUnits(row.amount, 18)));

    // After mining, still nothing new; the JSON result says so too.
    const json = JSON.parse((await world.ok(["--json", "distribute-multiple", `--csv-input=${EXAMPLE_CSV}`, `--address=${tokenAddress}`])).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ newTransactions: 0, oldTransactions: example.length, newRows: 0, alreadyPreparedRows: example.length, transactions: [] });
    expect((await world.rows<{ n: number }>("SELECT count(*) AS n FROM distribution_payments WHERE token_address = ?", tokenAddress))[0].n).toBe(example.length);
  });

  it("refuses a row changed after it was prepared, naming the row", async () => {
    const tokenAddress = await issueToken(world);
    await world.ok(["distribute-multiple", `--csv-input=${EXAMPLE_CSV}`, `--address=${tokenAddress}`]);
    const changed = path.join(world.dir, "changed.csv");
    fs.writeFileSync(changed, fs.readFileSync(EXAMPLE_CSV, "utf8").replace(",300", ",301"));
    const before = await countTransactions(world);
    const result = await world.sto(["distribute-multiple", `--csv-input=${changed}`, `--address=${tokenAddress}`]);
    expect(result.code).toBe(1);
    expect(errorLines(result.stderr)).toEqual([
      expect.stringMatching(/changed\.csv:2: field amount "301": external_id 1 was prepared earlier with amount 300 \(transaction nonce \d+, waiting\); an external_id is paid once; nothing prepared$/),
    ]);
    expect(await countTransactions(world)).toBe(before);
  });

  // A barrier (STO_TEST_BARRIER before-allocate, src/tx/faults.ts) holds both processes once they
  // have looked for earlier payments, found none and planned every row, until both have: the
  // second to write trips the unique index on active payments, plans again and finds every row
  // prepared. Without it one run could finish before the other starts and nothing would race.
  it("prepares the same distribution once when two processes run it at the same moment", async () => {
    const tokenAddress = await issueToken(world);
    const barrier = fs.mkdtempSync(path.join(world.dir, "barrier-"));
    const env = { STO_TEST_BARRIER: `before-allocate:${barrier}:2` };
    const runs = await Promise.all(
      [1, 2].map(() => world.sto(["--json", "distribute-multiple", `--csv-input=${EXAMPLE_CSV}`, `--address=${tokenAddress}`], { env, globals: ["--log-level", "debug"] })),
    );
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    expect(fs.readdirSync(barrier)).toHaveLength(2);
    const loser = runs.filter((run) => /another sto process prepared payments of this distribution at the same time: planning again/.test(run.stderr));
    expect(loser).toHaveLength(1);
    const created = runs.map((run) => (JSON.parse(run.stdout) as { newRows: number }).newRows);
    expect(created[runs.indexOf(loser[0])]).toBe(0);
    expect(created.sort()).toEqual([0, example.length]);
    const payments = (await world.rows<{ n: number }>("SELECT count(*) AS n FROM distribution_payments WHERE token_address = ?", tokenAddress))[0].n;
    expect(payments).toBe(example.length);
    const transfers = (await world.rows<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions WHERE to_address = ? AND function_signature = 'transfer(address,uint256)'", tokenAddress))[0].n;
    expect(transfers).toBe(example.length);
  });
});

describe("distribution of a restricted token", () => {
  // A world each: both tests deploy a KYC registry and issue a restricted token, and must not find
  // the other's (in the order receivers-then-sender the second deployment failed the sender test).
  let world: E2eWorld;
  beforeEach(async () => {
    world = await startWorld();
  });
  afterEach(() => world.close());

  it("reports receivers that are not whitelisted, then pays them once they are", async () => {
    const tokenAddress = await issueToken(world, { restricted: true });
    const before = transactionCount(world);
    const refused = await world.sto(["distribute-multiple", `--csv-input=${EXAMPLE_CSV}`, `--address=${tokenAddress}`]);
    expect(refused.code).toBe(1);
    const lines = errorLines(refused.stderr);
    expect(lines[0]).toMatch(/example-distribution\.csv: 3 invalid rows, nothing prepared/);
    example.forEach((row, index) => {
      expect(lines[index + 1]).toMatch(new RegExp(`example-distribution\\.csv:${index + 2}: field address "${row.address}": not whitelisted in KYC contract 0x[0-9a-fA-F]{40}`));
    });
    expect(transactionCount(world)).toBe(before);

    // Whitelist two of three: the third is still reported alone.
    await world.ok(["kyc-manage", `--whitelist-address=${example[0].address},${example[1].address}`]);
    const third = await world.sto(["distribute-multiple", `--csv-input=${EXAMPLE_CSV}`, `--address=${tokenAddress}`]);
    expect(errorLines(third.stderr)).toEqual([expect.stringMatching(/example-distribution\.csv:4: field address "0x90F79bf6EB2c4f870365E785982E1f101E93b906": not whitelisted/)]);

    await world.ok(["kyc-manage", `--whitelist-address=${example[2].address}`]);
    const distributed = await world.ok(["distribute-multiple", `--csv-input=${EXAMPLE_CSV}`, `--address=${tokenAddress}`]);
    expect(distributed.stdout).toContain(`Distribution created ${example.length} new transactions for ${example.length} rows; already in the database: 0 transactions for 0 rows`);
    await settle(world);
    expect(world.query<{ status: string }>("SELECT DISTINCT status FROM prepared_transactions WHERE to_address = ?", tokenAddress)).toEqual([{ status: "success" }]);
    expect(await balancesOf(world, tokenAddress, example.map((row) => row.address))).toEqual(example.map((row) => parseUnits(row.amount, 18)));
    const rerun = await world.ok(["distribute-multiple", `--csv-input=${EXAMPLE_CSV}`, `--address=${tokenAddress}`]);
    expect(rerun.stdout).toContain(`Distribution created 0 new transactions for 0 rows; already in the database: ${example.length} transactions for ${example.length} rows`);
  });

  it("reports a sender that is not whitelisted", async () => {
    const tokenAddress = await issueToken(world, { restricted: true });
    const csv = path.join(world.dir, "new-ids.csv");
    fs.writeFileSync(csv, fs.readFileSync(EXAMPLE_CSV, "utf8").replace(/^(\d),/gm, "new-$1,"));
    // Development account #4: holds no tokens and is not whitelisted.
    const other = "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a";
    // The receivers are whitelisted, so the sender is the only problem.
    await world.ok(["kyc-manage", `--whitelist-address=${example.map((row) => row.address).join(",")}`]);
    await settle(world);
    const before = transactionCount(world);
    const result = await world.sto(["--ethereum-private-key", other, "distribute-multiple", `--csv-input=${csv}`, `--address=${tokenAddress}`]);
    expect(result.code).toBe(1);
    expect(errorLines(result.stderr)).toEqual([
      expect.stringMatching(/the broadcasting account 0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65 is not whitelisted in KYC contract 0x[0-9a-fA-F]{40} of this restricted token/),
    ]);
    expect(transactionCount(world)).toBe(before);
  });
});
