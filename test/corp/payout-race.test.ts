import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEPLOYER, ENGINES, startWorld, tokenAddressFrom } from "../helpers/e2e";
import { addressAfter, contract, devWallet, distribute, expectRefused, units } from "../helpers/corp";

/**
 * Two `payout-dividends` at once on one database. A barrier (STO_TEST_BARRIER before-allocate,
 * src/tx/faults.ts) holds both once each has read the payments prepared so far (none), planned a
 * payment for every holder and built its payBatch transactions, until both have: then they ask for
 * the write lock together. The second finds its nonce taken, builds again with the same plan, and
 * trips the unique index on active payments: refused, nothing of it kept.
 *
 * Deliberate bug caught: `payout_payments_active` created as a plain (not unique) index in the
 * migrations (drizzle/0003_payouts.sql, drizzle/pg/0000_initial.sql): both runs then prepare, and
 * every holder gets two payments.
 */
describe.each(ENGINES)("two payout-dividends at once (%s)", (engine) => {
  it("prepare each holder's payment once; the second is refused and leaves nothing", async () => {
    const world = await startWorld({ engine });
    try {
      const [alice, bob] = [1, 2].map((index) => devWallet(index).address);
      const kyc = addressAfter("KYC contract address will be", (await world.ok(["kyc-deploy"])).stdout);
      await world.ok(["kyc-manage", `--whitelist-address=${DEPLOYER},${alice},${bob}`]);
      const token = tokenAddressFrom(
        await world.ok(["issue", "--symbol=RACE", "--name=Race corp", "--url=https://race.example", "--amount=10000", "--transfer-restriction=restricted"]),
      );
      const currency = addressAfter("CrowdsaleToken address will be", (await world.ok(["deploy-crowdsale-token"])).stdout);
      await world.ok(["tx-broadcast"]);
      await distribute(world, token, [alice, bob], [units(1000), units(3000)]);
      const deployed = await world.ok([
        "payout-deploy",
        `--token-address=${token}`,
        `--payout-token-address=${currency}`,
        "--payout-token-name=CrowdsaleToken",
        `--kyc-address=${kyc}`,
        "--payout-name=Race payout",
        "--uri=https://race.example/payout",
        "--type=0",
      ]);
      const payout = addressAfter("Payout address will be", deployed.stdout);
      await world.ok(["payout-approve", "--payout-token-name=CrowdsaleToken"]);
      await world.ok(["payout-deposit"]);
      await world.ok(["tx-update"]);

      const barrier = fs.mkdtempSync(path.join(world.dir, "barrier-"));
      const env = { STO_TEST_BARRIER: `before-allocate:${barrier}:2` };
      const runs = await Promise.all([1, 2].map(() => world.sto(["payout-dividends"], { env, globals: ["--log-level", "debug"] })));
      expect(fs.readdirSync(barrier)).toHaveLength(2);
      expect(runs.map((run) => run.code).sort(), runs.map((run) => run.stderr).join("\n")).toEqual([0, 1]);
      const loser = runs.find((run) => run.code === 1);
      if (!loser) throw new Error("no run was refused");
      // It found its nonce taken and built again before the index refused its payments.
      expect(loser.stderr).toMatch(/nonce \d+ was taken by another process; preparing again/);
      expectRefused(loser, 1, /^payment \S+ was prepared by another sto process at the same time; nothing prepared, run payout-dividends again$/);

      const payments = await world.rows<{ holder: string; n: number }>(
        "SELECT holder, count(*) AS n FROM payout_payments WHERE superseded_at IS NULL GROUP BY holder ORDER BY holder",
      );
      expect(payments).toEqual([alice, bob].sort().map((holder) => ({ holder, n: 1 })));
      const batches = await world.rows<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions WHERE function_signature = 'payBatch(address[])'");
      expect(batches[0].n).toBe(1);

      await world.ok(["tx-broadcast"]);
      await world.ok(["tx-update"]);
      const currencyOf = (holder: string) => contract(world, "CrowdsaleToken", currency).getFunction("balanceOf")(holder) as Promise<bigint>;
      const funded = (await contract(world, "Payout", payout).getFunction("totalFunded")()) as bigint;
      expect(await currencyOf(alice)).toBe(funded / 4n);
      expect(await currencyOf(bob)).toBe((funded * 3n) / 4n);
      const again = await world.ok(["payout-dividends"]);
      expect(again.stdout).toContain("Nothing new to pay.");
    } finally {
      await world.close();
    }
  });
});
