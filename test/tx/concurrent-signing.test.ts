import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { StoResult } from "../helpers/cli";
import { DEPLOYER, ENGINES, startWorld, type E2eWorld } from "../helpers/e2e";
import { errorLines } from "../distribution/helpers";

/**
 * Two signing commands at once on one database, forced to overlap by a barrier (STO_TEST_BARRIER,
 * src/tx/faults.ts) placed after each has signed in memory and before it records its signatures:
 * both have signed the same nonces, and only the ledger's guard (the row must still hold the hash
 * its signer read) keeps the second from recording a second signature for a nonce.
 */

/** Resolves once `count` processes have reached the barrier in `folder`. */
async function arrivals(folder: string, count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (fs.readdirSync(folder).length < count) {
    if (Date.now() > deadline) throw new Error(`${count} processes did not reach the barrier in ${folder} within a minute`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function winnerAndLoser(runs: StoResult[]): { winner: StoResult; loser: StoResult } {
  const codes = runs.map((run) => run.code).sort();
  expect(codes, runs.map((run) => run.stderr).join("\n")).toEqual([0, 1]);
  const winner = runs.find((run) => run.code === 0) as StoResult;
  const loser = runs.find((run) => run.code === 1) as StoResult;
  return { winner, loser };
}

/** Every transaction the deployer has mined, by nonce, read from the chain. */
async function minedByNonce(world: E2eWorld): Promise<Map<number, string>> {
  const head = await world.provider.getBlockNumber();
  const mined = new Map<number, string>();
  for (let number = 1; number <= head; number++) {
    const block = await world.provider.getBlock(number, true);
    for (const tx of block?.prefetchedTransactions ?? []) {
      if (tx.from !== DEPLOYER) continue;
      expect(mined.has(tx.nonce), `nonce ${tx.nonce} mined twice`).toBe(false);
      mined.set(tx.nonce, tx.hash);
    }
  }
  return mined;
}

const ISSUE = ["issue", "--symbol=TWO", "--name=Two signers corp", "--url=https://two.example", "--amount=1000"];

describe.each(ENGINES)("two signing processes at once on one database (%s)", (engine) => {
  // Deliberate bug caught: the write-ahead UPDATE without its guard `AND tx_hash IS ?` (SQLite) /
  // `IS NOT DISTINCT FROM` (PostgreSQL) in src/tx/ledger: both runs then record and send, and a
  // nonce gets two signatures.
  it("tx-broadcast: the second to record finds the nonces signed and records nothing", async () => {
    const world = await startWorld({ engine });
    try {
      await world.ok(ISSUE);
      const barrier = fs.mkdtempSync(path.join(world.dir, "barrier-"));
      const env = { STO_TEST_BARRIER: `before-sign-commit:${barrier}:2` };
      const first = world.sto(["tx-broadcast"], { env });
      await arrivals(barrier, 1);
      // A block between the two signings lowers the base fee: the second run signs other bytes.
      await world.provider.send("hardhat_mine", ["0x1"]);
      const second = world.sto(["tx-broadcast"], { env });
      const { loser } = winnerAndLoser(await Promise.all([first, second]));
      expect(fs.readdirSync(barrier)).toHaveLength(2);
      expect(errorLines(loser.stderr)).toEqual([
        expect.stringMatching(/^error: transaction nonce 0 was signed by another sto process meanwhile; run tx-broadcast again$/),
      ]);

      const rows = await world.rows<{ id: number; nonce: number; tx_hash: string }>("SELECT id, nonce, tx_hash FROM prepared_transactions ORDER BY nonce");
      expect(rows).toHaveLength(4);
      const signatures = await world.rows<{ transaction_id: number; tx_hash: string }>("SELECT transaction_id, tx_hash FROM transaction_signatures ORDER BY id");
      expect(signatures.map((signature) => [signature.transaction_id, signature.tx_hash])).toEqual(rows.map((row) => [row.id, row.tx_hash]));

      // The loser's rerun sends the winner's bytes (nothing new); every nonce is mined once, as recorded.
      await world.ok(["tx-broadcast"]);
      await world.ok(["tx-update"]);
      const mined = await minedByNonce(world);
      expect([...mined.entries()].sort(([a], [b]) => a - b)).toEqual(rows.map((row) => [row.nonce, row.tx_hash]));
      expect((await world.rows<{ n: number }>("SELECT count(*) AS n FROM transaction_signatures"))[0].n).toBe(4);
    } finally {
      await world.close();
    }
  });

  // Deliberate bug caught: the same guard removed; for tx-bump the row must also still hold the hash
  // the new version replaces (replace.ts's expect). Without it both bumps record a version and the
  // second replaces the first's without having seen it.
  it("tx-bump: the second to record finds the transaction changed and signs nothing", async () => {
    const world = await startWorld({ engine, automine: false });
    try {
      await world.ok(["kyc-deploy"]);
      await world.ok(["tx-broadcast"]);
      const [original] = await world.rows<{ tx_hash: string }>("SELECT tx_hash FROM prepared_transactions WHERE nonce = 0");
      const barrier = fs.mkdtempSync(path.join(world.dir, "barrier-"));
      const env = { STO_TEST_BARRIER: `before-version-commit:${barrier}:2` };
      // Different bumps, so that the two new versions differ.
      const runs = await Promise.all([
        world.sto(["tx-bump", "--nonce=0", "--fee-bump-percent=20"], { env }),
        world.sto(["tx-bump", "--nonce=0", "--fee-bump-percent=40"], { env }),
      ]);
      const { loser } = winnerAndLoser(runs);
      expect(fs.readdirSync(barrier)).toHaveLength(2);
      expect(errorLines(loser.stderr)).toEqual([
        expect.stringMatching(/^error: transaction nonce 0 changed meanwhile \(another sto process\?\); nothing was signed: run the command again$/),
      ]);

      const versions = await world.rows<{ tx_hash: string; kind: string }>(
        "SELECT s.tx_hash, s.kind FROM transaction_signatures s JOIN prepared_transactions t ON t.id = s.transaction_id WHERE t.nonce = 0 ORDER BY s.id",
      );
      expect(versions.map((version) => version.kind)).toEqual(["original", "bump"]);
      expect(versions[0].tx_hash).toBe(original.tx_hash);
      const [row] = await world.rows<{ tx_hash: string }>("SELECT tx_hash FROM prepared_transactions WHERE nonce = 0");
      expect(row.tx_hash).toBe(versions[1].tx_hash);

      await world.provider.send("hardhat_mine", ["0x1"]);
      await world.ok(["tx-update"]);
      const mined = await minedByNonce(world);
      expect(mined.get(0)).toBe(versions[1].tx_hash);
      const [after] = await world.rows<{ status: string; tx_hash: string }>("SELECT status, tx_hash FROM prepared_transactions WHERE nonce = 0");
      expect(after).toEqual({ status: "success", tx_hash: versions[1].tx_hash });
    } finally {
      await world.close();
    }
  });
});
