import fs from "node:fs";
import path from "node:path";
import { JsonRpcProvider, Network, Transaction, id } from "ethers";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEPLOYER, startWorld, tokenAddressFrom, type E2eWorld } from "../helpers/e2e";
import { copyDatabase, expectEveryNonceMinedOnceAsRecorded, readRows, runOk } from "../helpers/faults";
import { spawnSto } from "../helpers/cli";
import { startRpcProxy, type ProxyRequest, type RpcProxy } from "../helpers/rpc-proxy";

/**
 * A node whose pool, or the account's share of it, is full answers eth_sendRawTransaction with one
 * of the nodes' own messages (src/chain/failures.ts). Behind the proxy, a real Hardhat chain mining
 * a block every half second. tx-broadcast waits and resumes by itself: every payment is mined once,
 * with the one signature recorded before it was first sent, and nothing is marked failed or rejected.
 */
const MESSAGES = [
  "txpool is full",
  "account limit exceeded",
  "pending sub-pool is full",
  "nonce too far in future",
  "Transaction nonce is too distant from current sender nonce",
  "too many pending transactions",
];
const PAYMENTS = 30;
const LIMIT = 4;

interface Row {
  nonce: number;
  status: string;
  block_number: number | null;
}

describe("tx-broadcast against a node whose pool is full", () => {
  let world: E2eWorld;
  let proxy: RpcProxy;
  let provider: JsonRpcProvider;
  let template: string;
  let firstPayment: number;
  let snapshot: string;

  beforeAll(async () => {
    world = await startWorld({ blockIntervalMs: 500 });
    provider = new JsonRpcProvider(world.chain.url, Network.from(31337), { staticNetwork: true, cacheTimeout: -1 });
    const token = tokenAddressFrom(await world.ok(["issue", "--symbol=FUL", "--name=Full pool corp", "--amount=100000"]));
    await world.ok(["tx-broadcast", "--wait", "--timeout", "60"]);
    const csv = path.join(world.dir, "payments.csv");
    const receivers = Array.from({ length: PAYMENTS }, (_, index) => `0x${id(`receiver ${index}`).slice(26)}`);
    fs.writeFileSync(csv, `external_id,email,name,address,amount\n${receivers.map((address, index) => `p${index},p${index}@example.com,Payee ${index},${address},${index + 1}`).join("\n")}\n`);
    await world.ok(["distribute-multiple", `--csv-input=${csv}`, `--address=${token}`]);
    firstPayment = readRows<{ nonce: number }>(world.databaseFile, "SELECT min(nonce) AS nonce FROM prepared_transactions WHERE status = 'waiting'")[0].nonce;
    template = path.join(world.dir, "prepared.sqlite");
    copyDatabase(world.databaseFile, template);
    proxy = await startRpcProxy(world.chain.url);
    snapshot = await provider.send("evm_snapshot", []);
  });
  afterAll(async () => {
    await proxy?.close();
    provider?.destroy();
    await world?.close();
  });

  // Each test starts from the chain as beforeAll left it (the tests run in any order): revert, and
  // take the snapshot again (a reverted snapshot is gone).
  beforeEach(async () => {
    expect(await provider.send("evm_revert", [snapshot])).toBe(true);
    snapshot = await provider.send("evm_snapshot", []);
    proxy.setItemAnswerer(undefined);
  });

  /** Every eth_sendRawTransaction the proxy sees: its nonce and how many of the account's were unmined then. */
  function watchSends(): { nonce: number; unmined: number }[] {
    const seen: { nonce: number; unmined: number }[] = [];
    proxy.setOnRequest(async (request: ProxyRequest, phase) => {
      if (phase !== "received" || request.method !== "eth_sendRawTransaction") return;
      const nonce = Transaction.from(request.params[0] as string).nonce;
      seen.push({ nonce, unmined: nonce - (await provider.getTransactionCount(DEPLOYER, "latest")) });
    });
    return seen;
  }

  /** Answers the chosen sends (counted alone and inside batches alike) with the nodes' pool-full messages. */
  function refuse(which: (send: number) => boolean): { refused: number; inBatches: number } {
    const counter = { sends: 0, refused: 0, inBatches: 0 };
    proxy.setItemAnswerer((request) => {
      if (request.method !== "eth_sendRawTransaction") return undefined;
      counter.sends += 1;
      if (!which(counter.sends)) return undefined;
      const message = MESSAGES[counter.refused % MESSAGES.length];
      counter.refused += 1;
      if (request.batch) counter.inBatches += 1;
      return { error: { code: -32000, message } };
    });
    return counter;
  }

  it("keeps at most --max-in-flight unmined, waits out every pool-full answer and delivers each payment once, in nonce order", async () => {
    const database = path.join(world.dir, "limited.sqlite");
    copyDatabase(template, database);
    const seen = watchSends();
    // Refusals once the limit was reached, three in a row, and late (the first send refused, with
    // nothing of ours pending, is the next test's case).
    const refusals = refuse((send) => [12, 13, 14, 22, 29].includes(send));
    const result = await runOk(["--database-file", database, "--ethereum-node-url", proxy.url, "tx-broadcast", "--max-in-flight", String(LIMIT), "--wait", "--timeout", "120"], { cwd: world.dir });

    expect(refusals.refused).toBe(5);
    expect(result.stdout + result.stderr).toMatch(/waiting for the next block, then sending the same signed transactions again/);
    expect(result.stdout + result.stderr).toMatch(/Every transaction is final/);
    // The limit held at every send, and was reached (so the wait was exercised).
    const unmined = seen.filter((send) => send.nonce >= firstPayment).map((send) => send.unmined);
    expect(Math.max(...unmined)).toBeLessThan(LIMIT);
    expect(Math.max(...unmined)).toBe(LIMIT - 1);
    // Sends go out in nonce order (each nonce first offered after the one before it) and only a
    // refused one is offered again: the sends after it in the same batch were taken by the node.
    const nonces = seen.map((send) => send.nonce);
    const firsts = nonces.filter((nonce, index) => nonces.indexOf(nonce) === index);
    expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
    expect(new Set(nonces).size).toBe(nonces.length - refusals.refused);
    // Sends went in batches, and some refusals were of sends inside one.
    expect(proxy.stats.methods["batch:eth_sendRawTransaction"]).toBeGreaterThan(0);
    expect(refusals.inBatches).toBeGreaterThan(0);

    await expectEveryNonceMinedOnceAsRecorded(provider, database, DEPLOYER, 0);
    const rows = readRows<Row>(database, "SELECT nonce, status, block_number FROM prepared_transactions WHERE nonce >= ? ORDER BY nonce", firstPayment);
    expect(rows).toHaveLength(PAYMENTS);
    for (let index = 1; index < rows.length; index++) expect(rows[index].block_number as number).toBeGreaterThanOrEqual(rows[index - 1].block_number as number);
    expect(readRows(database, "SELECT tx_hash FROM transaction_signatures WHERE status = 'rejected' OR node_error IS NOT NULL")).toEqual([]);
  });

  it("gives up only when nothing is mined for --timeout seconds (exit 3, nothing lost) and a re-run sends the same bytes", async () => {
    const database = path.join(world.dir, "stalled.sqlite");
    copyDatabase(template, database);
    watchSends();
    const refusals = refuse(() => true);
    const { result } = spawnSto(["--database-file", database, "--ethereum-node-url", proxy.url, "tx-broadcast", "--timeout", "3"], { cwd: world.dir });
    const stalled = await result;
    expect(stalled.code, stalled.stderr).toBe(3);
    expect(stalled.stderr).toMatch(/no transaction of 0x[0-9a-fA-F]{40} was mined for 3 s while the node keeps answering "(txpool is full|account limit exceeded|pending sub-pool is full|nonce too far in future|Transaction nonce is too distant from current sender nonce|too many pending transactions)"; every signed transaction is recorded: run tx-broadcast again/);
    // Offered again after blocks, not in a tight loop, and only the first payment (one in flight at most).
    expect(refusals.refused).toBeGreaterThanOrEqual(3);
    expect(refusals.refused).toBeLessThan(40);
    const signedBefore = readRows<{ nonce: number; tx_hash: string }>(database, "SELECT nonce, tx_hash FROM prepared_transactions WHERE tx_hash IS NOT NULL AND nonce >= ? ORDER BY nonce", firstPayment);
    expect(signedBefore.length).toBeGreaterThan(0);
    expect(readRows<Row>(database, "SELECT nonce, status FROM prepared_transactions WHERE nonce >= ? AND status <> 'waiting'", firstPayment)).toEqual([]);

    proxy.setItemAnswerer(undefined);
    await runOk(["--database-file", database, "--ethereum-node-url", proxy.url, "tx-broadcast", "--wait", "--timeout", "120"], { cwd: world.dir });
    await expectEveryNonceMinedOnceAsRecorded(provider, database, DEPLOYER, 0);
    const signedAfter = readRows<{ nonce: number; tx_hash: string }>(database, "SELECT nonce, tx_hash FROM prepared_transactions WHERE nonce IN (" + signedBefore.map((row) => row.nonce).join(",") + ") ORDER BY nonce");
    expect(signedAfter).toEqual(signedBefore);
  });
});
