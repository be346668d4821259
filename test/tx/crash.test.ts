import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEPLOYER, ENGINES, startWorld, type E2eWorld } from "../helpers/e2e";
import { issueToken, randomAddresses } from "../distribution/helpers";

interface Row {
  nonce: number;
  status: string;
  tx_hash: string | null;
  raw_transaction: string | null;
}

/** Every transaction the deployer has mined, in nonce order, read from the chain itself. */
async function minedFromDeployer(world: E2eWorld): Promise<{ nonce: number; hash: string }[]> {
  const head = await world.provider.getBlockNumber();
  const mined: { nonce: number; hash: string }[] = [];
  for (let number = 1; number <= head; number++) {
    const block = await world.provider.getBlock(number, true);
    for (const tx of block?.prefetchedTransactions ?? []) {
      if (tx.from === DEPLOYER) mined.push({ nonce: tx.nonce, hash: tx.hash });
    }
  }
  return mined.sort((a, b) => a.nonce - b.nonce);
}

async function expectOneMinedTransactionPerNonceMatchingDatabase(world: E2eWorld): Promise<void> {
  const rows = await world.rows<Row>("SELECT nonce, status, tx_hash, raw_transaction FROM prepared_transactions ORDER BY nonce");
  const mined = await minedFromDeployer(world);
  expect(mined.map((tx) => tx.nonce)).toEqual(rows.map((row) => row.nonce));
  expect(mined.map((tx) => tx.hash)).toEqual(rows.map((row) => row.tx_hash));
  expect(rows.every((row) => row.status === "success")).toBe(true);
  expect((await world.rows<{ n: number }>("SELECT count(*) AS n FROM transaction_signatures"))[0].n).toBe(rows.length);
}

const ISSUE = ["issue", "--symbol=CR", "--name=Crash corp", "--url=https://crash.example", "--amount=1000"];

// On PostgreSQL too: the write-ahead record and the broadcasted marks are the PostgreSQL ledger's own statements.
describe.each(ENGINES)("tx-broadcast killed with SIGKILL (%s)", (engine) => {
  let world: E2eWorld;
  beforeEach(async () => {
    world = await startWorld({ engine });
    await world.ok(ISSUE);
  });
  afterEach(() => world.close());

  it("after the write-ahead commit and before the send: the rerun sends the recorded bytes", async () => {
    const killed = await world.sto(["tx-broadcast"], { env: { STO_FAULT_INJECTION: "after-sign" } });
    expect(killed.signal).toBe("SIGKILL");
    const signed = await world.rows<Row>("SELECT nonce, status, tx_hash, raw_transaction FROM prepared_transactions ORDER BY nonce");
    expect(signed.every((row) => row.raw_transaction !== null && row.status === "waiting")).toBe(true);
    expect(await world.provider.getTransactionCount(DEPLOYER)).toBe(0);

    await world.ok(["tx-broadcast"]);
    const after = await world.rows<Row>("SELECT nonce, status, tx_hash, raw_transaction FROM prepared_transactions ORDER BY nonce");
    expect(after.map((row) => row.raw_transaction)).toEqual(signed.map((row) => row.raw_transaction));
    await world.ok(["tx-update"]);
    await expectOneMinedTransactionPerNonceMatchingDatabase(world);
  });

  it("after the send and before the status update: the rerun recognises its own transactions", async () => {
    const killed = await world.sto(["tx-broadcast"], { env: { STO_FAULT_INJECTION: "after-send:2" } });
    expect(killed.signal).toBe("SIGKILL");
    expect(await world.provider.getTransactionCount(DEPLOYER)).toBe(2);
    expect(await world.rows<Row>("SELECT status FROM prepared_transactions WHERE status = 'waiting'")).toHaveLength(4);

    const rerun = await world.ok(["tx-broadcast"]);
    expect(rerun.stdout).toMatch(/2 transactions were already known to the node/);
    await world.ok(["tx-update"]);
    await expectOneMinedTransactionPerNonceMatchingDatabase(world);
  });

  it("repeatedly, at every send: each run makes progress and nothing is doubled", async () => {
    for (let run = 0; run < 4; run++) {
      const killed = await world.sto(["tx-broadcast"], { env: { STO_FAULT_INJECTION: "after-send:1" } });
      expect(killed.signal).toBe("SIGKILL");
    }
    await world.ok(["tx-broadcast"]);
    await world.ok(["tx-update"]);
    await expectOneMinedTransactionPerNonceMatchingDatabase(world);
  });
});

/**
 * 60 transfers go out in three write-ahead chunks (16, 32 and 12): each chunk after the first is
 * signed while the one before is sent, and committed together with that one's broadcasted marks.
 */
describe.each(ENGINES)("tx-broadcast of several chunks killed with SIGKILL (%s)", (engine) => {
  let world: E2eWorld;
  beforeEach(async () => {
    world = await startWorld({ engine });
    const tokenAddress = await issueToken(world);
    const csv = path.join(world.dir, "sixty.csv");
    const lines = randomAddresses(60).map((address, index) => `pay-${index},,,${address},1`);
    fs.writeFileSync(csv, ["external_id,email,name,address,amount", ...lines].join("\n"));
    await world.ok(["distribute-multiple", `--csv-input=${csv}`, `--address=${tokenAddress}`]);
  });
  afterEach(() => world.close());

  const transfers = () =>
    world.rows<Row>("SELECT nonce, status, tx_hash, raw_transaction FROM prepared_transactions WHERE function_signature = 'transfer(address,uint256)' ORDER BY nonce");

  it("after the second write-ahead commit: the first chunk is recorded as sent, the second signed, the third untouched", async () => {
    const killed = await world.sto(["tx-broadcast"], { env: { STO_FAULT_INJECTION: "after-sign:2" } });
    expect(killed.signal).toBe("SIGKILL");
    const rows = await transfers();
    expect(rows.slice(0, 16).every((row) => row.status === "broadcasted" && row.raw_transaction !== null)).toBe(true);
    expect(rows.slice(16, 48).every((row) => row.status === "waiting" && row.raw_transaction !== null)).toBe(true);
    expect(rows.slice(48).every((row) => row.status === "waiting" && row.raw_transaction === null)).toBe(true);
    // The four transactions of the issue, then the first chunk: nothing of the second was sent.
    expect(await world.provider.getTransactionCount(DEPLOYER)).toBe(4 + 16);

    await world.ok(["tx-broadcast"]);
    expect((await transfers()).slice(0, 48).map((row) => row.raw_transaction)).toEqual(rows.slice(0, 48).map((row) => row.raw_transaction));
    await world.ok(["tx-update"]);
    await expectOneMinedTransactionPerNonceMatchingDatabase(world);
  });

  it("in the middle of the second chunk: nothing of the third was recorded, the rerun resends the rest", async () => {
    const killed = await world.sto(["tx-broadcast"], { env: { STO_FAULT_INJECTION: "after-send:20" } });
    expect(killed.signal).toBe("SIGKILL");
    expect(await world.provider.getTransactionCount(DEPLOYER)).toBe(4 + 20);
    const rows = await transfers();
    expect(rows.slice(48).every((row) => row.raw_transaction === null)).toBe(true);

    const rerun = await world.ok(["tx-broadcast"]);
    // The four of the second chunk sent before the kill were not marked yet: the node knows them.
    expect(rerun.stdout).toMatch(/4 transactions were already known to the node/);
    await world.ok(["tx-update"]);
    await expectOneMinedTransactionPerNonceMatchingDatabase(world);
  });
});

/**
 * Three `issue` commands on one database, held by a barrier (STO_TEST_BARRIER before-allocate,
 * src/tx/faults.ts) once each has built and estimated its four transactions for the same next
 * nonce, until all three have: they then ask for the write lock together, so two of them find
 * their nonce taken and must build again. Without the barrier one could finish before another
 * starts, and the nonce re-check under the lock would go untested.
 */
describe.each(ENGINES)("two sto processes preparing at once on one database (%s)", (engine) => {
  it("allocate distinct, contiguous nonces", async () => {
    const world = await startWorld({ engine });
    try {
      const barrier = fs.mkdtempSync(path.join(world.dir, "barrier-"));
      const env = { STO_TEST_BARRIER: `before-allocate:${barrier}:3` };
      const runs = await Promise.all(
        ["A", "B", "C"].map((name) =>
          world.sto(["issue", `--symbol=${name}`, `--name=Corp ${name}`, "--url=https://x.example", "--amount=10"], { env, globals: ["--log-level", "debug"] }),
        ),
      );
      for (const run of runs) expect(run.code, run.stderr).toBe(0);
      // All three met at the barrier, each having planned for nonce 0: two of them had to plan again.
      expect(fs.readdirSync(barrier)).toHaveLength(3);
      const replanned = runs.filter((run) => /nonce 0 was taken by another process; preparing again/.test(run.stderr));
      expect(replanned).toHaveLength(2);
      const nonces = await world.rows<{ nonce: number; note: string }>("SELECT nonce, note FROM prepared_transactions ORDER BY nonce");
      expect(nonces.map((row) => row.nonce)).toEqual([...Array(12).keys()]);
      // Each command's four transactions stay together, in order.
      for (let start = 0; start < 12; start += 4) {
        const names = new Set(nonces.slice(start, start + 4).map((row) => /Corp (\w)/.exec(row.note)?.[1]));
        expect(names.size).toBe(1);
      }
      await world.ok(["tx-broadcast"]);
      await world.ok(["tx-update"]);
      await expectOneMinedTransactionPerNonceMatchingDatabase(world);
    } finally {
      await world.close();
    }
  });
});
