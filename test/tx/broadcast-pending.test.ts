import fs from "node:fs";
import path from "node:path";
import { JsonRpcProvider, Network, Transaction, Wallet, id } from "ethers";
import { inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createResilientProvider } from "../../src/chain/provider";
import { JsonRpcTransport, type RetryPolicy } from "../../src/chain/rpc";
import { ContractArtifacts } from "../../src/contracts/artifacts";
import { openDatabase, type SqliteDatabase } from "../../src/db/database";
import { preparedTransactions } from "../../src/db/schema";
import { ExitCode, StoError } from "../../src/errors";
import { broadcastPending, formatEth, type BroadcastOptions } from "../../src/tx/broadcast";
import type { SigningEnvironment, TxEnvironment } from "../../src/tx/environment";
import type { InFlightWait } from "../../src/tx/in-flight";
import { ledgerOf, type PreparedTransaction, type TxStatus } from "../../src/tx/ledger";
import { accountKey } from "../../src/tx/nonces";
import { prepareTransactions } from "../../src/tx/prepare";
import { waitUntilFinal } from "../../src/tx/wait";
import { signFields } from "../../src/tx/signatures";
import { tempDir } from "../helpers/cli";
import { startAnvil, type Anvil } from "../helpers/foundry";
import { startRpcProxy, type ItemAnswerer, type RpcProxy } from "../helpers/rpc-proxy";

/**
 * broadcastPending called in process (no CLI spawned) against Foundry's anvil behind the loopback
 * RPC proxy, with a real SQLite ledger in a temporary folder: fast enough to run for every mutant
 * of src/tx/broadcast.ts. The proxy answers for the node where a test needs an answer anvil never
 * gives (a full pool, a refusal, a batch left half answered, a node gone).
 *
 * Each test has an account of its own (a key derived from its name, funded with anvil_setBalance)
 * and a database of its own, so that the tests share nothing but the node and run in any order.
 * Tests that need a node that does not mine at once start an anvil of their own.
 */
const CHAIN_ID = 31337;
const RECEIVER = `0x${id("broadcast-pending receiver").slice(26)}`;
const GAS_LIMIT = 100_000n;
const FAST: RetryPolicy = { attempts: 2, timeoutMs: 10_000, baseDelayMs: 10, maxDelayMs: 20, budgetMs: 20_000 };

interface World {
  env: SigningEnvironment;
  /** The same database as env.db, typed as SQLite. */
  db: SqliteDatabase;
  rows: PreparedTransaction[];
  proxy: RpcProxy;
  debug: string[];
  wallet: Wallet;
  /** The rows as the ledger holds them now, in nonce order. */
  read(): Promise<PreparedTransaction[]>;
  /** eth_sendRawTransaction calls the proxy saw (alone or in batches), and batches of them. */
  sends(): { calls: number; batches: number; singles: number };
  /** Every row mined, with the bytes the ledger recorded for it. */
  expectMinedAsRecorded(rows: PreparedTransaction[]): Promise<void>;
}

/** The node's server answers HTTP 503 to the requests whose method `matches` (a batch: its `batch:…` name). */
function unavailableFor(proxy: RpcProxy, matches: (method: string) => boolean): void {
  proxy.setResponder((request, response) => {
    if (!matches(request.method)) return false;
    response.writeHead(503, { "content-type": "text/plain" });
    response.end("Service Unavailable");
    return true;
  });
}

describe("broadcastPending in process, on anvil", () => {
  let anvil: Anvil;
  let direct: JsonRpcProvider;
  let dir: string;
  let cleanup: () => void;
  const artifacts = new ContractArtifacts();
  const closers: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    anvil = await startAnvil();
    direct = new JsonRpcProvider(anvil.url, Network.from(CHAIN_ID), { staticNetwork: true, cacheTimeout: -1 });
    ({ dir, cleanup } = tempDir());
  }, 60_000);
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    direct?.destroy();
    await anvil?.close();
    cleanup?.();
  });

  /** An account funded on `node`, its database, and `count` payments prepared for it (each a call with data to an address without code). */
  async function world(
    name: string,
    options: { count?: number; node?: Anvil; gasPriceWei?: bigint; balanceWei?: bigint; valueWei?: bigint; startNonce?: number; prepareGasPriceWei?: bigint } = {},
  ): Promise<World> {
    const node = options.node ?? anvil;
    const wallet = new Wallet(id(`broadcast-pending ${name}`));
    await node.rpc("anvil_setBalance", [wallet.address, `0x${(options.balanceWei ?? 10n ** 21n).toString(16)}`]);
    const proxy = await startRpcProxy(node.url);
    const provider = createResilientProvider(new JsonRpcTransport(proxy.url, FAST), CHAIN_ID);
    const db: SqliteDatabase = openDatabase(path.join(dir, `${name.replace(/[^a-z0-9]+/gi, "-")}.sqlite`));
    closers.push(async () => {
      provider.destroy();
      db.close();
      await proxy.close();
    });
    const debug: string[] = [];
    const env: SigningEnvironment = {
      db,
      provider,
      network: "local",
      chainId: CHAIN_ID,
      address: wallet.address,
      artifacts,
      gasLimit: GAS_LIMIT,
      gasPriceWei: options.gasPriceWei,
      autoRestartNonce: true,
      debug: (message) => debug.push(message),
      wallet,
    };
    if (options.startNonce !== undefined) {
      const start = options.startNonce;
      await ledgerOf(db).openAccount(accountKey(env), async () => start);
    }
    const count = options.count ?? 3;
    const rows =
      count === 0
        ? []
        : await prepareTransactions({ ...env, gasPriceWei: options.prepareGasPriceWei ?? options.gasPriceWei }, (builder) => {
            for (let index = 0; index < count; index++) {
              builder.call("SecurityToken", RECEIVER, "transfer", [RECEIVER, BigInt(index + 1)], `payment ${index}`, { value: options.valueWei });
            }
          });
    const read = async () => (await ledgerOf(db).transactionsById(rows.map((row) => row.id))).sort((a, b) => a.nonce - b.nonce);
    const sends = () => ({
      calls: proxy.stats.calls.eth_sendRawTransaction ?? 0,
      batches: proxy.stats.methods["batch:eth_sendRawTransaction"] ?? 0,
      singles: proxy.stats.methods.eth_sendRawTransaction ?? 0,
    });
    const onNode = node === anvil ? direct : new JsonRpcProvider(node.url, Network.from(CHAIN_ID), { staticNetwork: true, cacheTimeout: -1 });
    if (onNode !== direct) closers.push(() => onNode.destroy());
    const expectMinedAsRecorded = async (mined: PreparedTransaction[]) => {
      for (const row of mined) {
        const tx = await onNode.getTransaction(row.txHash as string);
        expect(tx?.nonce, `nonce ${row.nonce}`).toBe(row.nonce);
        expect(tx?.blockNumber, `nonce ${row.nonce} mined`).not.toBeNull();
      }
    };
    return { env, db, rows, proxy, debug, wallet, read, sends, expectMinedAsRecorded };
  }

  /** A node of the test's own that mines only when asked (evm_mine). */
  async function manualNode(): Promise<Anvil> {
    const node = await startAnvil({ args: ["--no-mining"] });
    closers.push(() => node.close());
    return node;
  }

  /** Sends the n-th eth_sendRawTransaction call (1-based, alone or in a batch) this answer instead of the node, once. */
  function answerNthSend(n: number, answer: ReturnType<ItemAnswerer>): ItemAnswerer {
    let seen = 0;
    return (request) => {
      if (request.method !== "eth_sendRawTransaction") return undefined;
      seen += 1;
      return seen === n ? answer : undefined;
    };
  }

  const statuses = (rows: PreparedTransaction[]): TxStatus[] => rows.map((row) => row.status);
  const signed = (rows: PreparedTransaction[]): boolean[] => rows.map((row) => row.rawTransaction !== null && row.txHash !== null);

  async function failure(run: Promise<unknown>): Promise<StoError> {
    const error = await run.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(StoError);
    return error as StoError;
  }

  // Kills: `if (!account)` forced false (account.id of undefined), the early report's fields
  // emptied, and the balance read from another address.
  it("an account this database never used: nothing to do, the account's balance reported", async () => {
    const w = await world("no account", { count: 0, balanceWei: 123_456_789n });
    expect(await broadcastPending(w.env)).toEqual({ sent: [], alreadyKnown: 0, balanceWei: 123_456_789n });
    expect(w.sends().calls).toBe(0);
  });

  // Kills: the default chunk sizes (FIRST_CHUNK 16 doubling, SEND_BATCH 100) changed, onSent's
  // arguments, the report read back from the ledger, the recorded EIP-1559 fees (twice the base fee
  // plus the priority fee) not being the ones signed, `signedAt` not set.
  it("sends every waiting transaction once, in nonce order, two batches for two write-ahead chunks, with the fees it recorded", async () => {
    const w = await world("happy path", { count: 40 });
    const block = await direct.getBlock("latest");
    const priority = BigInt(await direct.send("eth_maxPriorityFeePerGas", []));
    const progress: [number, number, number][] = [];
    const report = await broadcastPending(w.env, { onSent: (row, done, total) => progress.push([row.nonce, done, total]) });
    expect(progress).toEqual(w.rows.map((row, index) => [row.nonce, index + 1, 40]));
    expect(report.alreadyKnown).toBe(0);
    expect(report.balanceWei).toBe(10n ** 21n);
    const rows = await w.read();
    expect(report.sent).toEqual(rows);
    expect(new Set(statuses(rows))).toEqual(new Set(["broadcasted"]));
    expect(w.sends()).toEqual({ calls: 40, batches: 2, singles: 0 });
    const maxFee = (block?.baseFeePerGas as bigint) * 2n + priority;
    for (const row of rows) {
      expect(row.signedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(row.maxFeePerGas).toBe(maxFee.toString());
      expect(row.maxPriorityFeePerGas).toBe(priority.toString());
      expect(row.gasPrice).toBeNull();
      const tx = Transaction.from(row.rawTransaction as string);
      expect([tx.type, tx.maxFeePerGas, tx.maxPriorityFeePerGas, tx.nonce, tx.hash]).toEqual([2, maxFee, priority, row.nonce, row.txHash]);
      const [signature] = await ledgerOf(w.env.db).signaturesOf(row.id);
      expect(signature).toMatchObject({ txHash: row.txHash, rawTransaction: row.rawTransaction, maxFeePerGas: maxFee.toString(), gasLimit: row.gasLimit, kind: "original" });
    }
    await w.expectMinedAsRecorded(rows);
    expect(w.debug.filter((message) => /batch|one at a time|fee caps/.test(message))).toEqual([]);
  });

  // Kills: `sendBatch ?? SEND_BATCH` and `perBatch <= 1` mutated (batches of 1 still going as batches).
  it("sendBatch 1: one request per transaction", async () => {
    const w = await world("send batch 1", { count: 20 });
    await broadcastPending(w.env, { sendBatch: 1 });
    expect(w.sends()).toEqual({ calls: 20, batches: 0, singles: 20 });
    // Nor is the node asked what it is (batchingClient's `perBatch <= 1`, `sendBatch ?? SEND_BATCH` as `&&`).
    expect(w.proxy.stats.calls.web3_clientVersion).toBeUndefined();
    await w.expectMinedAsRecorded(await w.read());
  });

  // Kills: `count < sender.perBatch` as `<=`, and perBatch not taken from sendBatch.
  it("sendBatch 5: batches of at most five", async () => {
    const w = await world("send batch 5", { count: 12 });
    let largest = 0;
    w.proxy.setOnRequest((request) => {
      if (request.batch) largest = Math.max(largest, request.batch.size);
    });
    await broadcastPending(w.env, { sendBatch: 5 });
    expect(largest).toBe(5);
    // 12 in a first chunk: 5 + 5 + 2.
    expect(w.sends()).toEqual({ calls: 12, batches: 3, singles: 0 });
  });

  // Kills: the chunk size not capped by chunkSize (`Math.min(size * 2, chunkSize)`, the first
  // `Math.min(FIRST_CHUNK, chunkSize)`), the next chunk recorded after a failure, the rows sent
  // before a refusal not recorded as broadcasted (the catch's commitChunk), sends after the refused
  // one in the same batch not handed (`failure ??=` thrown at once), and the refusal not recorded
  // on the signature. (Whether the next chunk's signing stops at once is not observable: what it
  // signed is dropped unrecorded either way; `stopSigning` only saves the work.)
  it("a refusal in the second chunk: what was sent is recorded, the refused one keeps its signature and the node's words, the next chunk is never recorded", async () => {
    const w = await world("refusal chunk 4", { count: 14 });
    w.proxy.setItemAnswerer(answerNthSend(6, { error: { code: -32000, message: "invalid sender" } }));
    const error = await failure(broadcastPending(w.env, { chunkSize: 4 }));
    expect(error.exitCode).toBe(ExitCode.UserError);
    expect(error.message).toContain('the node rejected transaction nonce 5 ("payment 5"): invalid sender. Its signed bytes are kept and every tx-broadcast sends them again');
    const rows = await w.read();
    // Chunk 0–3 sent; chunk 4–7 sent in one batch but for 5; 8–11 were being signed: dropped.
    expect(statuses(rows)).toEqual(["broadcasted", "broadcasted", "broadcasted", "broadcasted", "broadcasted", "waiting", "broadcasted", "broadcasted", ...Array(6).fill("waiting")]);
    expect(signed(rows)).toEqual([...Array(8).fill(true), ...Array(6).fill(false)]);
    const [signature] = await ledgerOf(w.env.db).signaturesOf(rows[5].id);
    expect(signature.nodeError).toBe("invalid sender");
    expect(w.sends().calls).toBe(8);

    // Run again: the refused bytes are sent again (the same hash), accepted, and the rejection cleared.
    w.proxy.setItemAnswerer(undefined);
    const again = await broadcastPending(w.env, { chunkSize: 4 });
    const after = await w.read();
    expect(after[5].txHash).toBe(rows[5].txHash);
    // 6 and 7 are above the node's pending nonce (5): sent again, "already known".
    expect(again.sent.map((row) => row.nonce)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(again.alreadyKnown).toBe(2);
    expect(after.slice(6, 8).map((row) => row.txHash)).toEqual(rows.slice(6, 8).map((row) => row.txHash));
    expect((await ledgerOf(w.env.db).signaturesOf(rows[5].id))[0].nodeError).toBeNull();
    await w.expectMinedAsRecorded(after);
  });

  // Kills: `Math.max(1, chunkSize)` (a chunk size of 0 would sign nothing and send nothing).
  it("chunkSize 0 counts as 1", async () => {
    const w = await world("chunk 0", { count: 3 });
    const report = await broadcastPending(w.env, { chunkSize: 0 });
    expect(report.sent.map((row) => row.nonce)).toEqual([0, 1, 2]);
    await w.expectMinedAsRecorded(await w.read());
  });

  // Kills: a refusal with sendBatch 1 still sending the rest of the chunk.
  it("one at a time, a refusal stops the run at once: nothing after it is sent", async () => {
    const w = await world("refusal single", { count: 5 });
    w.proxy.setItemAnswerer(answerNthSend(2, { error: { code: -32000, message: "invalid sender" } }));
    await failure(broadcastPending(w.env, { sendBatch: 1 }));
    expect(statuses(await w.read())).toEqual(["broadcasted", "waiting", "waiting", "waiting", "waiting"]);
    expect(w.sends().calls).toBe(2);
  });

  // Kills: the advice of each kind of rejection (gas limit, fees) swapped or emptied.
  it.each([
    ["intrinsic gas too low", "The node never accepted it, so it can be re-signed safely with a gas limit that works: sto tx-bump tx-bump:nonce 0 tx-bump:gasLimit <gas>; or replace it by a no-op to unblock the later transactions: sto tx-cancel tx-cancel:nonce 0"],
    ["max fee per gas less than block base fee", "Its fees are below what the network accepts now: re-sign it with higher fees: sto tx-bump tx-bump:nonce 0"],
    ["invalid sender", "Its signed bytes are kept and every tx-broadcast sends them again; if the node can never accept it, re-sign it (sto tx-bump tx-bump:nonce 0 [tx-bump:gasLimit <gas>]) or replace it by a no-op (sto tx-cancel tx-cancel:nonce 0)"],
  ])("a refusal %s: recorded, and the advice for it", async (message, advice) => {
    const w = await world(`rejected ${message}`, { count: 1 });
    w.proxy.setItemAnswerer(answerNthSend(1, { error: { code: -32000, message } }));
    const error = await failure(broadcastPending(w.env));
    expect(error.message).toBe(`the node rejected transaction nonce 0 ("payment 0"): ${message}. ${advice}`);
    expect(error.exitCode).toBe(ExitCode.UserError);
    const [row] = await w.read();
    expect(row.status).toBe("waiting");
    expect((await ledgerOf(w.env.db).signaturesOf(row.id))[0].nodeError).toBe(message);
  });

  // Kills: the cost in the insufficient-funds message (gas limit × max fee + value) and formatEth's digits.
  it("an account that cannot pay: the most the transaction may cost, nothing recorded as sent", async () => {
    const w = await world("insufficient funds", { count: 2, balanceWei: 1000n, valueWei: 5n * 10n ** 17n });
    const error = await failure(broadcastPending(w.env));
    const [row] = await w.read();
    const cost = GAS_LIMIT * BigInt(row.maxFeePerGas as string) + 5n * 10n ** 17n;
    expect(error.message).toBe(
      `account ${w.env.address} cannot pay for transaction nonce 0 ("payment 0"): it may cost up to ${formatEth(cost)} ETH; top the account up and run tx-broadcast again (the same signed transaction will be sent)`,
    );
    expect(formatEth(cost)).toMatch(/^0\.5\d{0,6}$/);
    expect(row.status).toBe("waiting");
    expect(row.txHash).not.toBeNull();
  });

  it("formatEth: whole ether, six decimals at most, no trailing zeros", () => {
    expect(formatEth(0n)).toBe("0");
    expect(formatEth(1n)).toBe("0");
    expect(formatEth(10n ** 18n)).toBe("1");
    expect(formatEth(15n * 10n ** 17n)).toBe("1.5");
    expect(formatEth(1_234_567_890_123_456_789n)).toBe("1.234567");
    expect(formatEth(12n * 10n ** 18n + 10n ** 12n)).toBe("12.000001");
  });

  // Kills: a transient answer read as a rejection (recorded) or with another exit code.
  it("a transient answer to a send: exit 3, the signature kept, no rejection recorded", async () => {
    const w = await world("transient", { count: 2 });
    w.proxy.setItemAnswerer(answerNthSend(1, { error: { code: -32000, message: "socket hang up" } }));
    const error = await failure(broadcastPending(w.env, { sendBatch: 1 }));
    expect(error.exitCode).toBe(ExitCode.Network);
    expect(error.message).toBe("the node did not accept transaction nonce 0 (socket hang up); its signature is recorded: run tx-broadcast again to resend it");
    const [row] = await w.read();
    expect(row.status).toBe("waiting");
    expect((await ledgerOf(w.env.db).signaturesOf(row.id))[0].nodeError).toBeNull();

    // A long one is cut to 160 characters in the message (`message.slice(0, 160)`).
    const long = `socket hang up ${"z".repeat(300)}`;
    w.proxy.setItemAnswerer(answerNthSend(1, { error: { code: -32000, message: long } }));
    const again = await failure(broadcastPending(w.env, { sendBatch: 1 }));
    expect(again.message).toBe(`the node did not accept transaction nonce 0 (${long.slice(0, 160)}); its signature is recorded: run tx-broadcast again to resend it`);
  });

  // Kills: the pool-full branch (the refused send handed, or recorded as a rejection), the same
  // bytes not sent again, `retryAtOnce` (the refused one goes first and alone after the wait), onWait.
  it("a full pool: waits, then the same bytes again; nothing recorded as a rejection", async () => {
    const w = await world("pool full", { count: 6 });
    w.proxy.setItemAnswerer(answerNthSend(3, { error: { code: -32000, message: "txpool is full" } }));
    const waits: InFlightWait[] = [];
    const report = await broadcastPending(w.env, { pollMs: 20, onWait: (wait) => waits.push(wait) });
    expect(waits).toHaveLength(1);
    expect(waits[0]).toMatchObject({ reason: "pool-full", message: "txpool is full" });
    expect(report.sent.map((row) => row.nonce).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    const rows = await w.read();
    expect((await ledgerOf(w.env.db).signaturesOf(rows[2].id))[0].nodeError).toBeNull();
    // 6 sends, the refused one again: once more.
    expect(w.sends().calls).toBe(7);
    await w.expectMinedAsRecorded(rows);
  });

  // Kills `if (!retryAtOnce)` forced true: after a pool-full wait the refused transaction goes again
  // at once, even when the limit lowered to what the node held would not admit it (nothing mined).
  it("a full pool on a node that mines nothing meanwhile: the refused transaction is sent again at once after the wait", async () => {
    const node = await manualNode();
    const w = await world("pool full, no blocks", { count: 4, node });
    w.proxy.setItemAnswerer(answerNthSend(4, { error: { code: -32000, message: "txpool is full" } }));
    const waits: InFlightWait[] = [];
    const report = await broadcastPending(w.env, { pollMs: 20, stallMs: 3_000, onWait: (wait) => waits.push(wait) });
    expect(waits).toEqual([{ reason: "pool-full", inFlight: 3, limit: 3, message: "txpool is full" }]);
    expect(report.sent.map((row) => row.nonce).sort()).toEqual([0, 1, 2, 3]);
    expect(w.sends().calls).toBe(5);
    await node.rpc("evm_mine");
    await w.expectMinedAsRecorded(await w.read());
  });

  // Kills: a send left out of a batch's answer not sent again, and the batch size not lowered to
  // what the node answered (the debug message's figures).
  it("a send left out of a batch's answer is sent again, in batches no larger than what the node answered", async () => {
    const w = await world("omitted", { count: 10 });
    w.proxy.setItemAnswerer(answerNthSend(4, "omit"));
    await broadcastPending(w.env);
    expect(w.debug).toContain("the node answered 9 of a batch of 10 transactions; sending the other 1 again (the same bytes), at most 9 a batch");
    expect(w.sends().calls).toBe(11);
    await w.expectMinedAsRecorded(await w.read());
  });

  // Kills: `answered > 0 ? answered : Math.floor(count / 2)` mutated: a node answering nothing of a
  // batch too large gets half as many next time.
  it("a batch refused as too large: half as many, until the node takes them", async () => {
    const w = await world("too large", { count: 12 });
    w.proxy.setBatchPolicy({ maxSize: 4 });
    await broadcastPending(w.env);
    expect(w.debug.filter((message) => message.startsWith("the node answered"))).toEqual([
      "the node answered 0 of a batch of 12 transactions; sending the other 12 again (the same bytes), at most 6 a batch",
      "the node answered 0 of a batch of 6 transactions; sending the other 6 again (the same bytes), at most 3 a batch",
    ]);
    expect(w.proxy.stats.faults.batchTooLarge).toBe(2);
    expect(w.sends().calls).toBe(12);
    await w.expectMinedAsRecorded(await w.read());
  });

  // Kills: BatchUnsupportedError not turning batches off (`sender.perBatch = 1`), its message.
  it("a node without batches: after its refusal, one transaction at a time", async () => {
    const w = await world("refuses batches", { count: 8 });
    w.proxy.setBatchPolicy("refuse");
    await broadcastPending(w.env);
    expect(w.debug.filter((message) => /one transaction at a time/.test(message))).toHaveLength(1);
    expect(w.proxy.stats.faults.batchRefused).toBe(1);
    // The refused batch reached the proxy, not the node.
    expect(w.sends()).toEqual({ calls: 8, batches: 1, singles: 8 });
    await w.expectMinedAsRecorded(await w.read());
  });

  // Kills: "nonce too high" inside a batch read as a refusal, or not turning batches off.
  it("'nonce too high' inside a batch: the node took them out of order; sent again one at a time", async () => {
    const w = await world("nonce too high", { count: 6 });
    // Sends 2 and 3 of the batch: the second finds batches already off (`sender.perBatch > 1`: said once).
    let seen = 0;
    w.proxy.setItemAnswerer((request) => {
      if (request.method !== "eth_sendRawTransaction") return undefined;
      seen += 1;
      return seen === 2 || seen === 3 ? { error: { code: -32000, message: `Nonce too high. Expected nonce to be 0 but got ${seen - 1}.` } } : undefined;
    });
    await broadcastPending(w.env);
    expect(w.debug.filter((message) => /out of nonce order/.test(message))).toEqual([
      'the node handled a batch of transactions out of nonce order ("Nonce too high. Expected nonce to be 0 but got 1."): sending one at a time',
    ]);
    const rows = await w.read();
    expect((await ledgerOf(w.env.db).signaturesOf(rows[1].id))[0].nodeError).toBeNull();
    // The batch of 6, then nonces 1 and 2 alone again.
    expect(w.sends()).toEqual({ calls: 8, batches: 1, singles: 2 });
    await w.expectMinedAsRecorded(rows);
  });

  // Kills `env.debug?.` as `env.debug(` where a batch comes back out of order or half answered.
  it("without a debug function: batches out of order and half answered are handled the same", async () => {
    const w = await world("no debug", { count: 8 });
    delete w.env.debug;
    let seen = 0;
    w.proxy.setItemAnswerer((request) => {
      if (request.method !== "eth_sendRawTransaction") return undefined;
      seen += 1;
      if (seen === 2) return { error: { code: -32000, message: "nonce too high" } };
      return seen === 5 ? "omit" : undefined;
    });
    const report = await broadcastPending(w.env);
    expect(report.sent.map((row) => row.nonce).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await w.expectMinedAsRecorded(await w.read());

    // And a node that refuses batches (sendRows' `env.debug?.`).
    const refusing = await world("no debug, batches refused", { count: 3 });
    delete refusing.env.debug;
    refusing.proxy.setBatchPolicy("refuse");
    expect((await broadcastPending(refusing.env)).sent).toHaveLength(3);
    await refusing.expectMinedAsRecorded(await refusing.read());
  });

  // Kills the length limits of the node's words (`.slice(0, 160)` out of order, `.slice(0, 240)` a
  // refusal in a batch): a node answering pages of text does not flood the log or the database.
  it("long answers: cut to 160 characters in the log, 240 in the recorded refusal", async () => {
    const w = await world("long answers", { count: 3 });
    const tooHigh = `nonce too high: ${"x".repeat(300)}`;
    const refusal = `invalid sender: ${"y".repeat(300)}`;
    let seen = 0;
    w.proxy.setItemAnswerer((request) => {
      if (request.method !== "eth_sendRawTransaction") return undefined;
      seen += 1;
      if (seen === 2) return { error: { code: -32000, message: tooHigh } };
      return seen === 3 ? { error: { code: -32000, message: refusal } } : undefined;
    });
    const error = await failure(broadcastPending(w.env));
    expect(w.debug).toContain(`the node handled a batch of transactions out of nonce order ("${tooHigh.slice(0, 160)}"): sending one at a time`);
    const rows = await w.read();
    expect((await ledgerOf(w.env.db).signaturesOf(rows[2].id))[0].nodeError).toBe(refusal.slice(0, 240));
    expect(error.message).toContain(`: ${refusal.slice(0, 240)}. Its signed bytes are kept`);
  });

  // Kills `if (!firstRefusal.has(row.nonce))` forced true: the stall clock of a pool-full wait starts
  // at the first refusal of the transaction, not at each, so a node that never takes it ends the run.
  it("a node whose pool stays full: gives up after stallMs (exit 3), the transaction signed and kept", async () => {
    const w = await world("pool full forever", { count: 2 });
    w.proxy.setItemAnswerer((request) => (request.method === "eth_sendRawTransaction" ? { error: { code: -32000, message: "txpool is full" } } : undefined));
    let timer: NodeJS.Timeout | undefined;
    const tooLong = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("still waiting after 15 s")), 15_000);
    });
    try {
      const error = await failure(Promise.race([broadcastPending(w.env, { pollMs: 20, stallMs: 600 }), tooLong]));
      expect(error.exitCode).toBe(ExitCode.Network);
      expect(error.message).toContain('was mined for 1 s while the node keeps answering "txpool is full"');
    } finally {
      clearTimeout(timer);
    }
    const rows = await w.read();
    expect(statuses(rows)).toEqual(["waiting", "waiting"]);
    expect(signed(rows)).toEqual([true, true]);
  });

  // Kills the catch of hardhat_getAutomine emptied, or its `instanceof RpcError` forced true: a
  // Hardhat node failing (not refusing) when asked whether it automines stops the run.
  it("a Hardhat node failing on hardhat_getAutomine: exit 3, nothing sent", async () => {
    const w = await world("automine fails", { count: 2 });
    w.proxy.setItemAnswerer((request) => (request.method === "web3_clientVersion" ? { result: "HardhatNetwork/2.22.0" } : undefined));
    unavailableFor(w.proxy, (method) => method === "hardhat_getAutomine");
    const error = await failure(broadcastPending(w.env));
    expect(error.exitCode).toBe(ExitCode.Network);
    expect(w.sends().calls).toBe(0);
  });

  // Kills batchingClient's catch emptied, or `if (error instanceof RpcError)` forced true: a node
  // failing (not refusing) when asked what it is stops the run; nothing is sent.
  it("the node failing when asked web3_clientVersion: exit 3, nothing sent", async () => {
    const w = await world("client version fails", { count: 2 });
    unavailableFor(w.proxy, (method) => method === "web3_clientVersion");
    const error = await failure(broadcastPending(w.env));
    expect(error.exitCode).toBe(ExitCode.Network);
    expect(w.sends().calls).toBe(0);
    expect(statuses(await w.read())).toEqual(["waiting", "waiting"]);
  });

  // Kills the node detection of batchingClient: Hardhat's automining node gets one send at a time;
  // Hardhat without automine, an unknown client, or a node without web3_clientVersion, batches.
  it.each([
    ["Hardhat automining", { result: "HardhatNetwork/2.22.0/@ethereumjs/vm/7.0.0" }, { result: true }, false],
    ["Hardhat interval mining", { result: "HardhatNetwork/2.22.0/@ethereumjs/vm/7.0.0" }, { result: false }, true],
    ["Hardhat without hardhat_getAutomine", { result: "HardhatNetwork/2.22.0" }, { error: { code: -32601, message: "method not found" } }, false],
    ["no web3_clientVersion", { error: { code: -32601, message: "method not found" } }, undefined, true],
    ["a client version that is not text", { result: 42 }, undefined, true],
    // Hardhat only when the version starts with it (the regex's `^`).
    ["a client naming hardhat later", { result: "foundry-hardhat-compatible/1.0" }, undefined, true],
  ] as const)("%s: batches %s", async (_name, client, automine, batches) => {
    const w = await world(`client ${_name}`, { count: 4 });
    const asked: string[] = [];
    w.proxy.setItemAnswerer((request) => {
      if (request.method === "web3_clientVersion") {
        expect(request.params).toEqual([]);
        asked.push(request.method);
        return client;
      }
      if (request.method === "hardhat_getAutomine") {
        expect(request.params).toEqual([]);
        asked.push(request.method);
        return automine;
      }
      return undefined;
    });
    await broadcastPending(w.env);
    expect(w.sends()).toEqual(batches ? { calls: 4, batches: 1, singles: 0 } : { calls: 4, batches: 0, singles: 4 });
    expect(asked).toEqual(automine === undefined ? ["web3_clientVersion"] : ["web3_clientVersion", "hardhat_getAutomine"]);
  });

  // Kills: the node's failure during a batch or a single send not named with the nonces signed and
  // recorded, the resume advice of the transport kept, and exit code 3 lost.
  it.each([
    ["a batch", {}, "transactions nonce 0 to 2 are signed and recorded: run tx-broadcast again to send the same bytes"],
    ["a single send", { sendBatch: 1 }, "transaction nonce 0 is signed and recorded: run tx-broadcast again to send the same bytes"],
  ])("the node gone during %s: exit 3, the signatures kept for the same bytes next time", async (_what, options: BroadcastOptions, tail) => {
    const w = await world(`node gone ${_what}`, { count: 3 });
    unavailableFor(w.proxy, (method) => /eth_sendRawTransaction/.test(method));
    const error = await failure(broadcastPending(w.env, options));
    expect(error.exitCode).toBe(ExitCode.Network);
    expect(error.message.endsWith(`; ${tail}`)).toBe(true);
    // The transport's account of the failure, without its own advice ("run the same command again"):
    // withoutResumeAdvice's pattern and replacement.
    expect(error.message).toMatch(new RegExp(`^the Ethereum node at http://127\\.0\\.0\\.1:\\d+ [^;]*503[^;]*; ${tail.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`));
    expect(error.message).not.toMatch(/nothing half-done was kept|Stryker/);
    const rows = await w.read();
    expect(statuses(rows)).toEqual(["waiting", "waiting", "waiting"]);
    expect(signed(rows)).toEqual([true, true, true]);
    w.proxy.setResponder(undefined);
    await broadcastPending(w.env, options);
    const after = await w.read();
    expect(after.map((row) => row.txHash)).toEqual(rows.map((row) => row.txHash));
    await w.expectMinedAsRecorded(after);
  });

  // Kills: `row.nonce < latest` and isOneOfOursOnChain's answer ignored (a mined transaction sent
  // again, or taken for another wallet's), markBroadcasted and the alreadyKnown count.
  it("transactions sent before a crash and mined since: recorded as sent, nothing sent again", async () => {
    const w = await world("mined before crash", { count: 3 });
    await broadcastPending(w.env);
    // What a SIGKILL between the send and its record leaves (test/tx/crash.test.ts does it for real).
    w.db.orm.update(preparedTransactions).set({ status: "waiting", broadcastAt: null }).where(inArray(preparedTransactions.id, w.rows.map((row) => row.id))).run();
    const before = w.sends().calls;
    const report = await broadcastPending(w.env);
    expect(report).toMatchObject({ sent: [], alreadyKnown: 3 });
    expect(statuses(await w.read())).toEqual(["broadcasted", "broadcasted", "broadcasted"]);
    expect(w.sends().calls).toBe(before);
  });

  // Kills: the network's nonce check against another wallet (`throw nonceTakenError(...)` removed,
  // its exit code, its text naming the network's nonce), and anything sent after it.
  it("a nonce another wallet used: exit 4, nothing sent", async () => {
    const w = await world("nonce taken", { count: 2 });
    await (await w.wallet.connect(direct).sendTransaction({ to: RECEIVER, value: 1n })).wait();
    const error = await failure(broadcastPending(w.env));
    expect(error.exitCode).toBe(ExitCode.StateMismatch);
    expect(error.message).toBe(
      `nonce 0 of ${w.env.address} was used on local by a transaction this database did not prepare (the network's nonce is 1): another wallet or an older copy of the database is using this account. Nothing was sent. Check the account on a block explorer; if those transactions are intended, move to a new databaseFile and run tx-restart-nonce`,
    );
    expect(w.sends().calls).toBe(0);
    expect(signed(await w.read())).toEqual([false, false]);
  });

  // Kills checkNoGap: `first.nonce <= pending` as `<`, the check removed, its text.
  it("a gap between the node's next nonce and the database's: exit 4, nothing signed or sent", async () => {
    const w = await world("gap", { count: 2, startNonce: 2 });
    const error = await failure(broadcastPending(w.env));
    expect(error.exitCode).toBe(ExitCode.StateMismatch);
    expect(error.message).toBe(
      `the node's next nonce for ${w.env.address} is 0, but the next transaction in the database has nonce 2: transactions recorded as sent (nonces 0..1) are unknown to the node (a restarted local chain or another database?). Nothing was sent; use a new databaseFile, or tx-restart-nonce on an empty one`,
    );
    expect(signed(await w.read())).toEqual([false, false]);
    expect(w.sends().calls).toBe(0);
  });

  // Kills signRow's key check (`if (!wallet)`), its message, and `if (row.rawTransaction && row.txHash) return row`
  // forced false: a row signed by an earlier run is sent with its recorded bytes, even without the key.
  it("no key: rows signed earlier are sent as recorded; the first unsigned one stops the run with what to do", async () => {
    const w = await world("no key", { count: 20 });
    // The first run signs the first chunk (16) and is refused at its first send.
    w.proxy.setItemAnswerer(answerNthSend(1, { error: { code: -32000, message: "invalid sender" } }));
    await failure(broadcastPending(w.env, { sendBatch: 1 }));
    const first = await w.read();
    expect(signed(first)).toEqual([...Array(16).fill(true), ...Array(4).fill(false)]);
    w.proxy.setItemAnswerer(undefined);
    const withoutKey: TxEnvironment = { ...w.env };
    delete (withoutKey as Partial<SigningEnvironment>).wallet;
    const error = await failure(broadcastPending(withoutKey));
    expect(error.message).toBe(
      'transaction nonce 16 ("payment 16") is not signed and no key is configured: sign it offline (tx-export, tx-sign, tx-import) or give the key',
    );
    const rows = await w.read();
    expect(rows.map((row) => row.txHash)).toEqual(first.map((row) => row.txHash));
    expect(statuses(rows)).toEqual([...Array(16).fill("broadcasted"), ...Array(4).fill("waiting")]);
    await w.expectMinedAsRecorded(rows.slice(0, 16));
  });

  // Kills commitChunk's conflict handling (SignatureConflict turned into the advice to run again),
  // and the marks of the chunk sent lost with the conflicting signatures.
  it("another process signed a row of the next chunk meanwhile: that signature stays, the run stops, the sent chunk is recorded", async () => {
    const w = await world("conflict", { count: 20 });
    const ledger = ledgerOf(w.env.db);
    const other = w.rows[16];
    let written: string | undefined;
    w.proxy.setOnRequest(async (request, phase) => {
      if (request.method !== "eth_sendRawTransaction" || phase !== "received" || written) return;
      // Another sto process signs nonce 16 (other fees: other bytes) while this one sends 0–15.
      const { raw, hash } = signFields(w.wallet, {
        chainId: CHAIN_ID,
        nonce: other.nonce,
        to: other.toAddress,
        data: other.data,
        value: 0n,
        gasLimit: GAS_LIMIT,
        type: 2,
        maxFeePerGas: 77_000_000_000n,
        maxPriorityFeePerGas: 1n,
      });
      written = hash;
      const fees = { gasPrice: null, maxFeePerGas: "77000000000", maxPriorityFeePerGas: "1" };
      await ledger.commitBroadcastChunk(
        [],
        [{ transactionId: other.id, nonce: other.nonce, expect: { txHash: null }, txHash: hash, rawTransaction: raw, signedAt: new Date().toISOString(), kind: "original", row: { ...fees, gasLimit: other.gasLimit }, signature: { ...fees, gasLimit: other.gasLimit } }],
      );
    });
    const error = await failure(broadcastPending(w.env));
    expect(error.message).toBe("transaction nonce 16 was signed by another sto process meanwhile; run tx-broadcast again");
    const rows = await w.read();
    expect(statuses(rows)).toEqual([...Array(16).fill("broadcasted"), ...Array(4).fill("waiting")]);
    expect(rows[16].txHash).toBe(written);
    expect(signed(rows).slice(17)).toEqual([false, false, false]);
    expect(await ledger.signaturesOf(other.id)).toHaveLength(1);
  });

  // Kills the barrier of the concurrency test (test/tx/concurrent-signing.test.ts) moved or emptied in
  // commitChunk (`if (fresh.length > 0) await barrierReached("before-sign-commit")`): reached with
  // fresh signatures, before they are recorded. STO_TEST_BARRIER is read when src/tx/faults.ts
  // loads: broadcastPending is run from modules loaded afresh with it set.
  it("reaches the barrier before-sign-commit when it has signatures to record", async () => {
    const w = await world("barrier", { count: 2 });
    const folder = fs.mkdtempSync(path.join(dir, "barrier-"));
    process.env.STO_TEST_BARRIER = `before-sign-commit:${folder}:1`;
    vi.resetModules();
    try {
      const fresh = await import("../../src/tx/broadcast");
      await fresh.broadcastPending(w.env);
    } finally {
      delete process.env.STO_TEST_BARRIER;
      vi.resetModules();
    }
    expect(fs.readdirSync(folder)).toEqual([String(process.pid)]);
    await w.expectMinedAsRecorded(await w.read());

    // A run with every row signed already has nothing to record: it never waits there
    // (`if (fresh.length > 0)` forced true, `>= 0`, `<= 0`).
    const resumed = await world("barrier, all signed", { count: 2 });
    resumed.proxy.setItemAnswerer(answerNthSend(1, { error: { code: -32000, message: "invalid sender" } }));
    await failure(broadcastPending(resumed.env, { sendBatch: 1 }));
    resumed.proxy.setItemAnswerer(undefined);
    expect(signed(await resumed.read())).toEqual([true, true]);
    const quiet = fs.mkdtempSync(path.join(dir, "barrier-"));
    process.env.STO_TEST_BARRIER = `before-sign-commit:${quiet}:1`;
    vi.resetModules();
    try {
      const fresh = await import("../../src/tx/broadcast");
      expect((await fresh.broadcastPending(resumed.env)).sent).toHaveLength(2);
    } finally {
      delete process.env.STO_TEST_BARRIER;
      vi.resetModules();
    }
    expect(fs.readdirSync(quiet)).toEqual([]);
  });

  // Kills: a legacy row signed with the network's EIP-1559 fees or recorded with fee caps.
  it("a forced legacy gas price: type-0 transactions at that price, no fee caps recorded", async () => {
    const w = await world("legacy", { count: 2, gasPriceWei: 9_000_000_000n });
    await broadcastPending(w.env);
    // Nothing to ask the node about fees (currentFees: `rows.every(row => row.txType === 0)`).
    expect([w.proxy.stats.calls.eth_maxPriorityFeePerGas, w.proxy.stats.calls.eth_gasPrice]).toEqual([undefined, undefined]);
    for (const row of await w.read()) {
      expect([row.txType, row.gasPrice, row.maxFeePerGas, row.maxPriorityFeePerGas]).toEqual([0, "9000000000", null, null]);
      const tx = Transaction.from(row.rawTransaction as string);
      expect([tx.type, tx.gasPrice]).toEqual([0, 9_000_000_000n]);
      expect((await ledgerOf(w.env.db).signaturesOf(row.id))[0]).toMatchObject({ gasPrice: "9000000000", maxFeePerGas: null });
    }
    await w.expectMinedAsRecorded(await w.read());
  });

  // A legacy row is signed with its own price even when this run has no forced price.
  it("a legacy row broadcast without a forced gas price: signed at its recorded price, no fee caps recorded", async () => {
    const w = await world("legacy row, no forced price", { count: 1, prepareGasPriceWei: 8_000_000_000n });
    await broadcastPending(w.env);
    const [row] = await w.read();
    const tx = Transaction.from(row.rawTransaction as string);
    expect([tx.type, tx.gasPrice]).toEqual([0, 8_000_000_000n]);
    expect([row.gasPrice, row.maxFeePerGas, row.maxPriorityFeePerGas]).toEqual(["8000000000", null, null]);
    await w.expectMinedAsRecorded([row]);
  });

  // An EIP-1559 row (prepared without a gas price) broadcast in a run that forces one: it keeps its
  // type and gets the network's fee caps, recorded as signed (it was signed with no caps at all,
  // and recorded none: a transaction no node takes, advised "tx-bump").
  it("an EIP-1559 row broadcast with a forced gas price: signed with the network's fee caps, recorded as signed", async () => {
    const w = await world("eip-1559 row, forced price", { count: 1 });
    const [row] = await broadcastPending({ ...w.env, gasPriceWei: 9_000_000_000n }).then((report) => report.sent);
    const tx = Transaction.from(row.rawTransaction as string);
    expect(tx.type).toBe(2);
    expect(tx.maxFeePerGas).toBeGreaterThan(0n);
    expect([row.maxFeePerGas, row.maxPriorityFeePerGas, row.gasPrice]).toEqual([String(tx.maxFeePerGas), String(tx.maxPriorityFeePerGas), null]);
    expect((await ledgerOf(w.env.db).signaturesOf(row.id))[0]).toMatchObject({ maxFeePerGas: String(tx.maxFeePerGas), maxPriorityFeePerGas: String(tx.maxPriorityFeePerGas) });
    await w.expectMinedAsRecorded([row]);
  });

  // Kills currentFees deciding by any legacy row (`rows.some`), and a legacy row recording the
  // fee caps of the EIP-1559 rows signed with it (`row.txType === 0 ? null : ...` forced false).
  it("legacy and EIP-1559 rows in one run: each signed and recorded with its own kind of fees", async () => {
    const w = await world("mixed fees", { count: 1, prepareGasPriceWei: 8_000_000_000n });
    const [eip1559] = await prepareTransactions(w.env, (builder) => builder.call("SecurityToken", RECEIVER, "transfer", [RECEIVER, 9n], "payment eip-1559"));
    await broadcastPending(w.env);
    const [legacy, modern] = await ledgerOf(w.env.db).transactionsById([w.rows[0].id, eip1559.id]);
    expect([legacy.txType, legacy.gasPrice, legacy.maxFeePerGas, legacy.maxPriorityFeePerGas]).toEqual([0, "8000000000", null, null]);
    const tx = Transaction.from(modern.rawTransaction as string);
    expect(tx.maxFeePerGas).toBeGreaterThan(0n);
    expect([modern.txType, modern.maxFeePerGas, modern.maxPriorityFeePerGas]).toEqual([2, String(tx.maxFeePerGas), String(tx.maxPriorityFeePerGas)]);
    await w.expectMinedAsRecorded([legacy, modern]);
  });

  // signingFees and broadcastFees in a run (test/tx/broadcast-fees.test.ts has the rule alone): on a
  // node of 300,000-gas blocks (three rows of 100,000 each), a broadcast's later rows get caps raised
  // by 9/8 a full block of the gas before them, reported in the debug log. A second run pays rows
  // signed by the first at their recorded caps (from a base fee 50 times higher) and a legacy row at
  // its gas price, and the balance pays for one block fewer than the broadcast may fill. Kills: the
  // fee slices of the chunks dropped (`fees.slice(nextStart, …)` → `fees`: later chunks capped as the
  // first rows), a signed row's or a legacy row's `signedCap` dropped or misread (`??` → `&&`: the
  // balance then seems to pay the full raise), `decided.blocks > 0 || decided.limitedByBalance` and
  // the debug message's words mutated, `env.debug?.(` as `env.debug(`; and an account that cannot
  // pay even the default.
  it("fee caps raised for the blocks the broadcast fills; rows signed earlier and legacy rows counted at their own caps against the balance", async () => {
    const GWEI = 10n ** 9n;
    const node = await startAnvil({ args: ["--gas-limit", "300000"] });
    closers.push(() => node.close());
    const w = await world("raised caps", { count: 20, node });
    const onNode = new JsonRpcProvider(node.url, Network.from(CHAIN_ID), { staticNetwork: true, cacheTimeout: -1 });
    closers.push(() => onNode.destroy());
    const priority = BigInt(await onNode.send("eth_maxPriorityFeePerGas", []));
    const withBaseFee = async (baseFee: bigint) => {
      await node.rpc("anvil_setNextBlockBaseFeePerGas", [`0x${baseFee.toString(16)}`]);
      await node.rpc("evm_mine", []);
      expect((await onNode.getBlock("latest"))?.baseFeePerGas).toBe(baseFee);
    };
    // anvil mines a block when sends arrive, and sends that arrive together share one: on a loaded
    // machine rows beyond its 300,000 gas can stay in the pool until the next send. Mine them.
    const minePool = async () => {
      for (let block = 0; block < 30; block++) {
        const status = await node.rpc<{ pending: string }>("txpool_status", []);
        if (BigInt(status.pending) === 0n) return;
        await node.rpc("evm_mine", []);
      }
      throw new Error("anvil's pool still holds transactions after 30 blocks");
    };
    /** 2 × base fee × (9/8)^blocks, rounded up, + priority fee. */
    const cap = (baseFee: bigint, blocks: number) => (2n * baseFee * 9n ** BigInt(blocks) + 8n ** BigInt(blocks) - 1n) / 8n ** BigInt(blocks) + priority;
    const caps = (rows: PreparedTransaction[]) => rows.map((row) => BigInt(row.maxFeePerGas as string));

    // The first run, at a base fee of 50 gwei: 20 rows, the last with 1,900,000 gas (6 blocks) before
    // it. It signs the first chunk (16 rows, raised up to 5 blocks) and is refused at its first send.
    await withBaseFee(50n * GWEI);
    w.proxy.setItemAnswerer(answerNthSend(1, { error: { code: -32000, message: "invalid sender" } }));
    await failure(broadcastPending(w.env, { sendBatch: 1 }));
    w.proxy.setItemAnswerer(undefined);
    const first = await w.read();
    expect(signed(first)).toEqual([...Array(16).fill(true), ...Array(4).fill(false)]);
    expect(caps(first.slice(0, 16))).toEqual(first.slice(0, 16).map((_row, index) => cap(50n * GWEI, Math.floor(index / 3))));
    expect(w.debug.filter((message) => message.startsWith("fee caps"))).toEqual(["fee caps allow for 6 full block(s) of this broadcast's own transactions"]);

    // The second run, at 1 gwei, with a legacy row at 300 gwei after them: 2,000,000 gas (6 blocks)
    // before the last row. The balance pays for exactly 5 blocks: the rows signed earlier at their
    // recorded caps, rows 16 and 17 (5 blocks before them) and 18 and 19 (6, limited to 5) at the
    // 5-block cap, the legacy row at its price.
    const [legacy] = await prepareTransactions({ ...w.env, gasPriceWei: 300n * GWEI }, (builder) =>
      builder.call("SecurityToken", RECEIVER, "transfer", [RECEIVER, 21n], "payment legacy"),
    );
    await withBaseFee(GWEI);
    const fresh = cap(GWEI, 5);
    const balance = GAS_LIMIT * (caps(first.slice(0, 16)).reduce((sum, each) => sum + each, 0n) + 4n * fresh + 300n * GWEI);
    await node.rpc("anvil_setBalance", [w.wallet.address, `0x${balance.toString(16)}`]);
    w.debug.length = 0;
    const report = await broadcastPending(w.env);
    expect(report.balanceWei).toBe(balance);
    const rows = await w.read();
    expect(rows.map((row) => row.txHash)).toEqual([...first.slice(0, 16).map((row) => row.txHash), ...rows.slice(16).map((row) => row.txHash)]);
    expect(caps(rows)).toEqual([...caps(first.slice(0, 16)), fresh, fresh, fresh, fresh]);
    for (const row of rows.slice(16)) expect(Transaction.from(row.rawTransaction as string).maxFeePerGas).toBe(fresh);
    const [legacyRow] = await ledgerOf(w.env.db).transactionsById([legacy.id]);
    expect([legacyRow.gasPrice, legacyRow.maxFeePerGas]).toEqual([String(300n * GWEI), null]);
    expect(w.debug.filter((message) => message.startsWith("fee caps"))).toEqual([
      "fee caps allow for 5 full block(s) of this broadcast's own transactions (fewer than it may fill: the balance pays for no more)",
    ]);
    await minePool();
    await w.expectMinedAsRecorded([...rows, legacyRow]);

    // An account that cannot pay even the default caps: the default kept, and said (`||
    // decided.limitedByBalance` dropped: no word of it); the node refuses the first send.
    const poor = await world("raised caps, poor", { count: 7, node, balanceWei: 1000n });
    await withBaseFee(GWEI);
    expect((await failure(broadcastPending(poor.env))).message).toMatch(/cannot pay for transaction nonce 0/);
    expect(caps((await poor.read()).slice(0, 7))).toEqual(Array(7).fill(cap(GWEI, 0)));
    expect(poor.debug.filter((message) => message.startsWith("fee caps"))).toEqual([
      "fee caps allow for 0 full block(s) of this broadcast's own transactions (fewer than it may fill: the balance pays for no more)",
    ]);

    // Without a debug function, the raise is the same (kills `env.debug?.(` as `env.debug(`).
    const quiet = await world("raised caps, no debug", { count: 7, node });
    delete quiet.env.debug;
    await withBaseFee(GWEI);
    await broadcastPending(quiet.env);
    expect(caps(await quiet.read())).toEqual([0, 1, 2, 3, 4, 5, 6].map((index) => cap(GWEI, Math.floor(index / 3))));
  });

  // Kills the filter of broadcasted rows: those below the node's pending nonce are its (in the pool)
  // and are not sent again; those at or above it (the node dropped them) are, as the same bytes.
  it("broadcasted transactions: left alone while the node has them, the same bytes again once it dropped them", async () => {
    const node = await manualNode();
    const w = await world("dropped", { count: 3, node });
    await broadcastPending(w.env);
    const sent = await w.read();
    expect(await broadcastPending(w.env)).toMatchObject({ sent: [], alreadyKnown: 0 });
    expect(w.sends().calls).toBe(3);
    await node.rpc("anvil_dropAllTransactions");
    const report = await broadcastPending(w.env);
    expect(report.sent.map((row) => row.txHash)).toEqual(sent.map((row) => row.txHash));
    await node.rpc("evm_mine");
    await w.expectMinedAsRecorded(await w.read());
  });

  // Kills readAnswer's "already known" (counted, not a refusal), "replacement underpriced" with our
  // own transaction in the pool (known), and "nonce too low" looking at mined ones only (a pooled
  // version does not use the nonce up: the answer must come from another transaction).
  it("answers about transactions the node already has: known when they are ours", async () => {
    const node = await manualNode();
    const w = await world("known answers", { count: 3, node });
    await broadcastPending(w.env);
    const resetToWaiting = () =>
      w.db.orm.update(preparedTransactions).set({ status: "waiting" }).where(inArray(preparedTransactions.id, w.rows.map((row) => row.id))).run();
    // As after a crash between the sends and their record: sent, not recorded as such.
    resetToWaiting();
    w.proxy.setItemAnswerer(answerNthSend(2, { error: { code: -32000, message: "replacement transaction underpriced" } }));
    // The same bytes again: anvil answers "already known" for nonces 0 and 2; 1 is answered "replacement underpriced" (ours, pooled).
    const report = await broadcastPending(w.env);
    expect(report.alreadyKnown).toBe(3);
    expect(report.sent.map((row) => row.nonce)).toEqual([0, 1, 2]);

    // "nonce too low" while only our pooled version exists: not mined, so another transaction used the nonce.
    resetToWaiting();
    w.proxy.setItemAnswerer(answerNthSend(1, { error: { code: -32000, message: "nonce too low" } }));
    const error = await failure(broadcastPending(w.env, { sendBatch: 1 }));
    expect(error.exitCode).toBe(ExitCode.StateMismatch);
    expect(error.message).toMatch(/^nonce 0 of 0x[0-9a-fA-F]{40} was used on local by a transaction this database did not prepare: another wallet/);
  });

  // Kills: "nonce too low" for a transaction mined with its recorded bytes: known.
  it("'nonce too low' for our transaction mined meanwhile: known, not another wallet's", async () => {
    const w = await world("nonce too low, ours", { count: 2 });
    // The node mines nonce 0 from these bytes between the nonce reads and the send (the proxy does it on the send).
    w.proxy.setItemAnswerer(answerNthSend(1, { error: { code: -32000, message: "nonce too low" } }));
    let mined = false;
    w.proxy.setOnRequest(async (request, phase) => {
      if (request.method !== "eth_sendRawTransaction" || phase !== "received" || mined) return;
      mined = true;
      await anvil.rpc("eth_sendRawTransaction", [request.params[0]]);
    });
    const report = await broadcastPending(w.env, { sendBatch: 1 });
    expect(report.alreadyKnown).toBe(1);
    expect(report.sent.map((row) => row.nonce)).toEqual([0, 1]);
    await w.expectMinedAsRecorded(await w.read());
  });

  // Kills: "nonce too low" for a transaction none of whose versions the node knows: another wallet's.
  it("'nonce too low' for a transaction the node does not know: exit 4", async () => {
    const w = await world("nonce too low, not ours", { count: 2 });
    w.proxy.setItemAnswerer(answerNthSend(1, { error: { code: -32000, message: "nonce too low" } }));
    const error = await failure(broadcastPending(w.env, { sendBatch: 1 }));
    expect(error.exitCode).toBe(ExitCode.StateMismatch);
    expect(error.message).toContain(`nonce 0 of ${w.env.address} was used on local by a transaction this database did not prepare: another wallet`);
    expect(statuses(await w.read())).toEqual(["waiting", "waiting"]);
  });

  // Kills the in-flight options passed to the gate: maxInFlight, pollMs, stallMs, onWait.
  it("at most maxInFlight unmined: waits for blocks, and gives up (exit 3) when nothing is mined for stallMs", async () => {
    const node = await manualNode();
    const w = await world("in flight", { count: 5, node });
    const waits: InFlightWait[] = [];
    const started = Date.now();
    // Chunks of 2: the wait is at the start of the second chunk's sends (`let retryAtOnce = false` as
    // true would skip it there and send a third).
    const error = await failure(broadcastPending(w.env, { maxInFlight: 2, chunkSize: 2, pollMs: 20, stallMs: 1_000, onWait: (wait) => waits.push(wait) }));
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(error.exitCode).toBe(ExitCode.Network);
    expect(error.message).toContain("was mined for 1 s while 2 of its transactions are sent and unmined (at most 2 at a time)");
    expect(waits).toEqual([{ reason: "limit", inFlight: 2, limit: 2 }]);
    // pollMs 20 for a second: dozens of looks at the mined nonce (`pollMs ?? 1_000` as `&&` would look once or twice).
    expect(w.proxy.stats.calls.eth_getTransactionCount).toBeGreaterThan(10);
    expect(statuses(await w.read())).toEqual(["broadcasted", "broadcasted", "waiting", "waiting", "waiting"]);

    // Blocks mined meanwhile: the rest goes, two at a time.
    const miner = setInterval(() => void node.rpc("evm_mine").catch(() => undefined), 100);
    try {
      const report = await broadcastPending(w.env, { maxInFlight: 2, pollMs: 20 });
      expect(report.sent.map((row) => row.nonce)).toEqual([2, 3, 4]);
    } finally {
      clearInterval(miner);
    }
    await node.rpc("evm_mine");
    await w.expectMinedAsRecorded(await w.read());
  });

  // waitUntilFinal after broadcastPending, with the head polled between rounds (what --wait does).
  // Kills: the look at the head dropped (the round then waits the whole 60 s interval), its
  // comparison turned round (a round at every poll: more rounds than blocks), and the interval's
  // deadline ignored (a node that drops a transaction without a block would be waited on forever).
  it("waitUntilFinal looks again as soon as a block is mined, and after the interval without one", async () => {
    const node = await manualNode();
    const w = await world("wait on blocks", { count: 2, node });
    await broadcastPending(w.env);
    const rounds: number[] = [];
    const waiting = waitUntilFinal(w.env, { confirmations: 1, intervalMs: 60_000, headPollMs: 50, timeoutMs: 110_000, onRound: ({ open }) => rounds.push(open.length) });
    await vi.waitFor(() => expect(rounds).toEqual([2]), { timeout: 30_000 });
    const minedAt = Date.now();
    await node.rpc("evm_mine", []);
    const report = await waiting;
    expect(report.outcome).toBe("final");
    expect(Date.now() - minedAt).toBeLessThan(30_000);
    expect(rounds).toEqual([2, 0]);
    await w.expectMinedAsRecorded(report.rows);

    const dropped = await world("wait without blocks", { count: 1, node });
    await broadcastPending(dropped.env);
    const head = await node.rpc<string>("eth_blockNumber", []);
    const statuses: string[][] = [];
    const ending = waitUntilFinal(dropped.env, { confirmations: 1, intervalMs: 300, headPollMs: 50, timeoutMs: 110_000, onRound: ({ open }) => statuses.push(open.map((row) => row.status)) });
    await vi.waitFor(() => expect(statuses[0]).toEqual(["broadcasted"]), { timeout: 30_000 });
    await node.rpc("anvil_dropAllTransactions", []);
    expect((await ending).outcome).toBe("dropped");
    expect(await node.rpc<string>("eth_blockNumber", [])).toBe(head);
  });
});
