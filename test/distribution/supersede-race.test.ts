import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ENGINES, startWorld } from "../helpers/e2e";
import { balancesOf, issueToken, settle } from "./helpers";

const ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const single = (token: string): string[] => [
  "--json",
  "distribute-single",
  `--token-address=${token}`,
  `--to-address=${ALICE}`,
  "--external-id=retry-1",
  "--email=alice@example.com",
  "--name=Alice",
  "--amount=5",
];

/**
 * A payment whose transaction failed on chain is prepared again by two runs at once. A barrier
 * (STO_TEST_BARRIER before-allocate, src/tx/faults.ts) holds both once each has planned to supersede
 * the failed payment, until both have. The second to write finds it superseded already
 * (recordPayments: the UPDATE of `superseded_at IS NULL` changes no row) and plans again, finding
 * the payment prepared: one new payment, not two.
 *
 * Two guards stand here, each enough alone: recordPayments' check that its supersede changed one
 * row, and the unique index on active payments (a second active row for retry-1). The test fails
 * when both are gone (the check removed and `distribution_payments_active` not unique): then both
 * runs prepare a transfer and Alice is paid twice. With either one removed it still passes, by
 * the other; each is pinned on its own elsewhere (the index by distribute.test.ts's race).
 */
describe.each(ENGINES)("two runs preparing a failed payment again at once (%s)", (engine) => {
  it("supersede it once and prepare one new payment", async () => {
    const world = await startWorld({ engine });
    try {
      const token = await issueToken(world, { amount: "100" });
      // A gas limit far too low for a transfer: mined, reverted (out of gas).
      await world.ok(["--ethereum-gas-limit=30000", ...single(token)]);
      await settle(world);
      expect(await world.rows<{ status: string }>("SELECT status FROM prepared_transactions WHERE external_id = 'retry-1'")).toEqual([{ status: "failed" }]);

      const barrier = fs.mkdtempSync(path.join(world.dir, "barrier-"));
      const env = { STO_TEST_BARRIER: `before-allocate:${barrier}:2` };
      const runs = await Promise.all([1, 2].map(() => world.sto(single(token), { env, globals: ["--log-level", "debug"] })));
      for (const run of runs) expect(run.code, run.stderr).toBe(0);
      expect(fs.readdirSync(barrier)).toHaveLength(2);
      const loser = runs.filter((run) => /another sto process prepared payments of this distribution at the same time: planning again/.test(run.stderr));
      expect(loser).toHaveLength(1);
      const created = runs.map((run) => (JSON.parse(run.stdout) as { newRows: number }).newRows);
      expect(created[runs.indexOf(loser[0])]).toBe(0);
      expect(created.sort()).toEqual([0, 1]);

      const payments = await world.rows<{ superseded: number; status: string }>(
        "SELECT CASE WHEN p.superseded_at IS NULL THEN 0 ELSE 1 END AS superseded, t.status FROM distribution_payments p JOIN prepared_transactions t ON t.id = p.transaction_id ORDER BY p.id",
      );
      expect(payments).toEqual([
        { superseded: 1, status: "failed" },
        { superseded: 0, status: "waiting" },
      ]);
      await settle(world);
      expect(await balancesOf(world, token, [ALICE])).toEqual([5n * 10n ** 18n]);
    } finally {
      await world.close();
    }
  });
});
