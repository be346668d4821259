import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatTokenAmount } from "../../src/input/amounts";
import { DEPLOYER, ENGINES, startWorld, tokenAddressFrom, type E2eWorld } from "../helpers/e2e";
import type { StoResult } from "../helpers/cli";
import { progressDraws, runInTerminal, terminalEnv } from "../helpers/terminal";
import { addressAfter, balanceOf, contract, devWallet, distribute, expectRefused, units } from "../helpers/corp";

interface PaymentRow {
  external_id: string;
  holder: string;
  amount: string;
  paid_amount: string | null;
  superseded_at: string | null;
  status: string;
}

/**
 * The manual's payout steps with its own flags, on a restricted token: KYC, issue, a payout
 * currency, shares distributed to three whitelisted holders (and one not whitelisted), payout
 * deployed, approved, deposited, then paid to every holder in batches.
 */
// On PostgreSQL too (issue 18): the payout's payments, the share recovery and the refusals.
describe.each(ENGINES)("dividends end to end (%s)", (engine) => {
  let world: E2eWorld;
  let token: string;
  let kyc: string;
  let currency: string;
  let payout: string;
  let deployed: StoResult, approved: StoResult, deposited: StoResult;
  const [alice, bob, carol, dave] = [1, 2, 3, 4].map((index) => devWallet(index).address);
  // Shares chosen so that pro-rata amounts do not divide evenly.
  const shares = new Map<string, bigint>([
    [alice, units(1000)],
    [bob, units(2000) + 1n],
    [carol, 333_333_333_333_333_333_333n],
  ]);

  beforeAll(async () => {
    world = await startWorld({ engine });
    kyc = addressAfter("KYC contract address will be", (await world.ok(["kyc-deploy"])).stdout);
    await world.ok(["kyc-manage", `--whitelist-address=${DEPLOYER},${alice},${bob},${carol}`]);
    token = tokenAddressFrom(
      await world.ok(["issue", "--symbol=STO", "--name=Mikko's magic corp", "--url=https://tokenmarket.net", "--amount=10000", "--transfer-restriction=restricted"]),
    );
    currency = addressAfter("CrowdsaleToken address will be", (await world.ok(["deploy-crowdsale-token"])).stdout);
    await world.ok(["tx-broadcast"]);
    await distribute(world, token, [...shares.keys()], [...shares.values()]);
    // Dave is not whitelisted: he can only get shares by a forced transfer (a court order, say).
    await world.ok(["force-transfer", `--token-address=${token}`, `--from=${carol}`, `--to=${dave}`, "--amount=33.3", "--reason=Court order 2024/17"]);
    shares.set(carol, (shares.get(carol) as bigint) - units(333) / 10n);
    shares.set(dave, units(333) / 10n);
    await world.ok(["tx-broadcast"]);
    await world.ok(["tx-update"]);

    // The payout every test below starts from: deployed, approved and deposited (read-only for the
    // first test; the others pay from it, move shares after its record date, or are refused).
    deployed = await world.ok([
      "payout-deploy",
      `--token-address=${token}`,
      `--payout-token-address=${currency}`,
      "--payout-token-name=CrowdsaleToken",
      `--kyc-address=${kyc}`,
      "--payout-name=Pay X",
      "--uri=http://tokenmarket.net",
      "--type=0",
    ]);
    payout = addressAfter("Payout address will be", deployed.stdout);
    approved = await world.ok(["payout-approve", "--payout-token-name=CrowdsaleToken"]);
    deposited = await world.ok(["payout-deposit"]);
    await world.ok(["tx-update"]);
    // About fifteen CLI runs: on a loaded two-core machine they can take longer than one test's 120 s.
  }, 300_000);
  afterAll(() => world.close());

  it("deploys, approves and deposits with the manual's commands", async () => {
    expect(deployed.stdout).toContain("Checkpoint (record date) 1 of Mikko's magic corp");
    expect(deployed.stdout).toContain("Record date: checkpoint 1, taken by the first transaction above");
    expect(deployed.stdout).toContain(`Excluded: ${DEPLOYER}`);
    expect(deployed.stdout).toContain("Announcing payout Pay X on Mikko's magic corp");
    expect(approved.stdout).toContain("Approving 1000000000 CST to payout Pay X");
    // The manual runs approve and deposit right after deploy: both broadcast at once, in nonce order.
    expect(approved.stdout).toMatch(/Pending 4 transactions for broadcasting/);
    expect(deposited.stdout).toContain("Depositing 1000000000 CST into payout Pay X");

    const tokenContract = contract(world, "SecurityToken", token);
    expect(await tokenContract.getFunction("isAnnounced")(payout)).toBe(true);
    const announcement = (await tokenContract.getFunction("announcement")(0n)) as unknown[];
    expect(announcement.slice(0, 4)).toEqual([payout, 0n, "Pay X", "http://tokenmarket.net"]);
    const payoutContract = contract(world, "Payout", payout);
    expect(await payoutContract.getFunction("totalFunded")()).toBe(units(1_000_000_000));
    expect(await payoutContract.getFunction("checkpointId")()).toBe(1n);
  });

  it("pays every eligible holder its exact pro-rata amount, never twice, and the rest later", async () => {
    // Trading after the record date changes nothing.
    const bobTokens = contract(world, "SecurityToken", token).connect(devWallet(2, world.provider));
    await (await bobTokens.getFunction("transfer")(alice, units(500))).wait();

    const limited = await world.sto(["payout-dividends", "--transfer-amount=1000"]);
    expect(limited.code).toBe(1);
    expect(limited.stderr).toMatch(/--transfer-amount: this run would pay 9\d{8}\.\d+ CST, more than the 1000 CST allowed; nothing prepared/);
    const first = await world.ok(["payout-dividends", "--batch-size=2", "--transfer-amount=1000000000"]);
    expect(first.stdout).toMatch(/Paying [\d.]+ CST to 3 holders in 2 transactions/);
    expect(first.stderr).toContain(`1 holder is not whitelisted now and was left out: ${dave}`);
    const rerunBeforeBroadcast = await world.ok(["payout-dividends"]);
    expect(rerunBeforeBroadcast.stdout).toContain("Nothing new to pay.");
    expect(rerunBeforeBroadcast.stdout).toContain("3 holders have a payment prepared or broadcast and not mined yet");
    await world.ok(["tx-broadcast"]);
    await world.ok(["tx-update"]);

    const funded = units(1_000_000_000);
    const eligibleSupply = [...shares.values()].reduce((sum, value) => sum + value, 0n);
    const currencyOf = (holder: string) => contract(world, "CrowdsaleToken", currency).getFunction("balanceOf")(holder) as Promise<bigint>;
    for (const holder of [alice, bob, carol]) {
      expect(await currencyOf(holder)).toBe((funded * (shares.get(holder) as bigint)) / eligibleSupply);
    }
    expect(await currencyOf(dave)).toBe(0n);

    const again = await world.ok(["payout-dividends"]);
    expect(again.stdout).toContain("Nothing new to pay.");
    expect(again.stdout).toContain("3 holders are paid in full already.");
    expect((await world.rows<{ n: number }>("SELECT COUNT(*) AS n FROM prepared_transactions WHERE function_signature = 'payBatch(address[])'"))[0].n).toBe(2);

    const status = JSON.parse((await world.ok(["--json", "payout-status"])).stdout) as {
      totalPaidUnits: string;
      unpaidUnits: string;
      roundingRemainder: string;
      roundingRemainderUnits: string;
      dueToIneligibleUnits: string;
      complete: boolean;
      holders: { holder: string; status: string }[];
    };
    expect(status.complete).toBe(true);
    const entitlements = [...shares.values()].map((value) => (funded * value) / eligibleSupply);
    const remainder = funded - entitlements.reduce((sum, value) => sum + value, 0n);
    expect(BigInt(status.roundingRemainderUnits)).toBe(remainder);
    // The same amount in the currency's own units beside it (docs/commands.md, "Amounts in JSON").
    expect(status.roundingRemainder).toBe(formatTokenAmount(remainder, 18));
    expect(remainder).toBeGreaterThan(0n);
    expect(BigInt(status.unpaidUnits)).toBe(BigInt(status.dueToIneligibleUnits) + remainder);
    expect(Object.fromEntries(status.holders.map((holder) => [holder.holder, holder.status]))).toEqual({
      [DEPLOYER]: "excluded",
      [alice]: "paid",
      [bob]: "paid",
      [carol]: "paid",
      [dave]: "not eligible",
    });

    // Once whitelisted, Dave is paid by the next run, and only he.
    await world.ok(["kyc-manage", `--whitelist-address=${dave}`]);
    await world.ok(["tx-update"]);
    const late = await world.ok(["payout-dividends"]);
    expect(late.stdout).toMatch(/to 1 holder in 1 transaction;/);
    await world.ok(["tx-broadcast"]);
    await world.ok(["tx-update"]);
    expect(await currencyOf(dave)).toBe((funded * (shares.get(dave) as bigint)) / eligibleSupply);

    // The Payment column shows the transaction (nonce and hash), not the database's key of the payment;
    // the identity file names the holders, as in the cap table.
    const ids = path.join(world.dir, "ids.csv");
    fs.writeFileSync(ids, `name,address\nDave Latecomer,${dave}\n`);
    const [davePayment] = await world.rows<{ nonce: number; tx_hash: string }>(
      `SELECT t.nonce, t.tx_hash FROM payout_payments p JOIN prepared_transactions t ON t.id = p.transaction_id WHERE p.holder = '${dave}'`,
    );
    const table = await world.ok(["payout-status", `--identity-file=${ids}`, "--wide"]);
    expect(table.stdout).not.toContain(`payout:${payout}:`);
    expect(table.stdout).toMatch(/│ Name +│ Holder +│/);
    expect(table.stdout).toMatch(new RegExp(`│ Dave Latecomer +│ ${dave} +│.*│ nonce ${davePayment.nonce} ${davePayment.tx_hash} +│`));
    const named = JSON.parse((await world.ok(["--json", "payout-status", `--identity-file=${ids}`])).stdout) as { holders: { name: string | null; holder: string }[] };
    expect(named.holders.find((row) => row.holder === dave)?.name).toBe("Dave Latecomer");
    expect(named.holders.find((row) => row.holder === alice)?.name).toBeNull();
    // On a terminal, reading every holder at the record date draws a progress bar.
    const terminal = await runInTerminal([...world.databaseFlags, "--ethereum-node-url", world.chain.url, "payout-status"], { ...terminalEnv(), ...world.databaseEnv });
    expect(progressDraws(terminal).at(-1)).toMatch(/ 100% Reading holders (\d+)\/\1 holders/);
    expect(terminal).toContain(`nonce ${davePayment.nonce}`);
    const payments = await world.rows<PaymentRow>(
      "SELECT p.external_id, p.holder, p.amount, p.paid_amount, p.superseded_at, t.status FROM payout_payments p JOIN prepared_transactions t ON t.id = p.transaction_id ORDER BY p.id",
    );
    expect(payments.map((row) => row.external_id)).toEqual([alice, bob, carol, dave].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())).filter((h) => h !== dave).concat(dave).map((holder) => `payout:${payout}:${holder}`));
    for (const row of payments) {
      expect(row.status).toBe("success");
      expect(row.paid_amount).toBe(row.amount);
      expect(row.superseded_at).toBeNull();
    }
  });

  it("recovers a holder's shares to a new address, with the reason on chain, in the database and in the cap table", async () => {
    const lost = alice;
    const fresh = devWallet(5).address;
    const before = await balanceOf(world, token, lost);
    const moved = await world.ok(["force-transfer", `--token-address=${token}`, `--from=${lost}`, `--to=${fresh}`, "--amount=all", "--reason=Lost private key, ticket 42"]);
    expect(moved.stderr).toContain(`${fresh} is not whitelisted`);
    await world.ok(["tx-broadcast"]);
    await world.ok(["tx-update"]);
    expect(await balanceOf(world, token, lost)).toBe(0n);
    expect(await balanceOf(world, token, fresh)).toBe(before);
    const [row] = await world.rows<{ note: string; status: string; tx_hash: string }>(
      "SELECT note, status, tx_hash FROM prepared_transactions WHERE function_signature LIKE 'forceTransfer%' ORDER BY id DESC LIMIT 1",
    );
    expect(row.status).toBe("success");
    expect(row.note).toContain("Lost private key, ticket 42");
    const receipt = await world.provider.getTransactionReceipt(row.tx_hash);
    const tokenContract = contract(world, "SecurityToken", token);
    const events = (receipt?.logs ?? []).map((log) => tokenContract.interface.parseLog(log)).filter((event) => event?.name === "ForcedTransfer");
    expect(events[0]?.args.getValue("reason")).toBe("Lost private key, ticket 42");

    await world.ok(["token-scan", `--token-address=${token}`]);
    const capTable = JSON.parse((await world.ok(["--json", "cap-table", `--token-address=${token}`])).stdout) as { entries: { address: string; balance: string }[] };
    const entries = new Map(capTable.entries.map((entry) => [entry.address, entry.balance]));
    expect(entries.has(lost)).toBe(false);
    expect(entries.get(fresh)).toBe(formatTokenAmount(before, 18));

    // With the token scanned past the record date, the payout's holders come from the cap table at
    // its record date: the lost address is still the holder there, the new one is not.
    const status = JSON.parse((await world.ok(["--json", "payout-status"])).stdout) as { holderSource: string; holders: { holder: string }[] };
    expect(status.holderSource).toMatch(/^the cap table scanned by token-scan, at block \d+$/);
    expect(status.holders.map((holder) => holder.holder).sort()).toEqual([DEPLOYER, alice, bob, carol, dave].sort());
  });

  it("refuses clearly", async () => {
    const notAdmin = ["--ethereum-private-key", devWallet(2).privateKey];
    const denied = await world.sto(["force-transfer", `--token-address=${token}`, `--from=${bob}`, `--to=${carol}`, "--amount=1", "--reason=x"], { globals: notAdmin });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain("does not have FORCE_TRANSFER_ROLE");
    const treasury = formatTokenAmount(await balanceOf(world, token, DEPLOYER), 18);
    const tooMuch = await world.sto(["burn", `--token-address=${token}`, "--amount=1000000"]);
    expectRefused(tooMuch, 1, `--amount: ${DEPLOYER} holds only ${treasury}`);
    const badExpiry = await world.sto(["payout-deploy", `--token-address=${token}`, `--payout-token-address=${currency}`, "--payout-name=Old", "--uri=u", "--type=0", "--expiry=2001-01-01"]);
    expectRefused(badExpiry, 1, /^--expiry: 2001-01-01T00:00:00Z is not in the future \(the chain's time is \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)$/);
    const badCheckpoint = await world.sto(["payout-deploy", `--token-address=${token}`, `--payout-token-address=${currency}`, "--payout-name=Old", "--uri=u", "--type=0", "--checkpoint-id=7"]);
    expectRefused(badCheckpoint, 1, "--checkpoint-id: checkpoint 7 does not exist on the token (it has 1 to 1; a prepared checkpoint counts once it is mined)");
    expect((await world.rows<{ n: number }>("SELECT COUNT(*) AS n FROM prepared_transactions WHERE status = 'waiting'"))[0].n).toBe(0);
  });
});
