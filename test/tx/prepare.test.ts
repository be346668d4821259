import fs from "node:fs";
import path from "node:path";
import { JsonRpcProvider, Network, Wallet, ZeroAddress, getCreateAddress, id } from "ethers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ContractArtifacts } from "../../src/contracts/artifacts";
import { openDatabase, type SqliteDatabase } from "../../src/db/database";
import { StoError } from "../../src/errors";
import type { TxEnvironment } from "../../src/tx/environment";
import { ledgerOf, type PreparedTransaction } from "../../src/tx/ledger";
import { accountKey } from "../../src/tx/nonces";
import { STREAM_CHUNK, prepareTransactionStream, prepareTransactions } from "../../src/tx/prepare";
import { tempDir } from "../helpers/cli";
import { startAnvil, type Anvil } from "../helpers/foundry";

/**
 * prepareTransactions and prepareTransactionStream in process, against anvil and a real SQLite
 * ledger: the rows they store field by field, nonces allocated contiguously and re-checked under
 * the lock (another process taking the nonce is forced from inside `build`), all rows or none.
 * Each test has an account (a key derived from its name) and a database of its own.
 */
const CHAIN_ID = 31337;
const RECEIVER = `0x${id("prepare receiver").slice(26)}`;
const HOLDER = `0x${id("prepare holder").slice(26)}`;

describe("preparing transactions, in process", () => {
  let anvil: Anvil;
  let provider: JsonRpcProvider;
  let dir: string;
  let cleanup: () => void;
  const artifacts = new ContractArtifacts();
  const databases: SqliteDatabase[] = [];

  beforeAll(async () => {
    anvil = await startAnvil();
    provider = new JsonRpcProvider(anvil.url, Network.from(CHAIN_ID), { staticNetwork: true, cacheTimeout: -1 });
    ({ dir, cleanup } = tempDir());
  }, 60_000);
  afterAll(async () => {
    for (const db of databases) db.close();
    provider?.destroy();
    await anvil?.close();
    cleanup?.();
  });

  function environment(name: string, extra: Pick<TxEnvironment, "gasPriceWei"> = {}): TxEnvironment & { db: SqliteDatabase; messages: string[] } {
    const db = openDatabase(path.join(dir, `${name.replace(/[^a-z0-9]+/gi, "-")}.sqlite`));
    databases.push(db);
    const messages: string[] = [];
    return {
      db,
      provider,
      network: "local",
      chainId: CHAIN_ID,
      address: new Wallet(id(`prepare ${name}`)).address,
      artifacts,
      autoRestartNonce: true,
      debug: (message) => messages.push(message),
      messages,
      ...extra,
    };
  }

  /** Takes the account's next nonce as another process would: one row prepared at it. */
  async function takeNextNonce(env: TxEnvironment): Promise<void> {
    const ledger = ledgerOf(env.db);
    const account = await ledger.openAccount(accountKey(env), async () => 0);
    await ledger.allocate(account.id, async (allocation) => {
      const [row] = await allocation.insert([
        {
          accountId: account.id,
          network: env.network,
          chainId: env.chainId,
          nonce: allocation.nextNonce,
          fromAddress: env.address,
          toAddress: RECEIVER,
          note: "another process",
          isDeployment: false,
          data: "0x",
          value: "0",
          gasLimit: "21000",
          txType: 2,
          status: "waiting",
          createdAt: new Date().toISOString(),
        },
      ]);
      await allocation.advanceTo(row.nonce + 1);
    });
  }

  // Kills every field of preparedRow: to/contract/receiver of a deployment and of a call, the
  // receiver and value given or defaulted, the external id, the function signature, the gas limit
  // decided, type 2 without a forced gas price, the status, the creation time, the deployment's
  // source, constructor arguments and compiler input; and advanceTo (the next nonce after the rows).
  it("stores each planned step field by field, nonces from the account's next one", async () => {
    const env = environment("fields");
    const before = Date.now();
    const rows = await prepareTransactions(env, (builder) => {
      const token = builder.deploy("SecurityToken", ["Fields", "FLD", "https://example.com", ZeroAddress], "Deploying");
      builder.call("SecurityToken", token, "transfer", [HOLDER, 5n], "Paying", { externalId: "pay-1", receiver: HOLDER, value: 7n, gasLimit: 90_000n });
      builder.call("SecurityToken", token, "issueTokens", [10n], "Issuing", { gasLimit: 80_000n });
    });
    const token = getCreateAddress({ from: env.address, nonce: 0 });
    expect(rows.map((row) => row.nonce)).toEqual([0, 1, 2]);
    const [deploy, pay, issue] = rows;
    const common = { network: "local", chainId: CHAIN_ID, fromAddress: env.address, status: "waiting", txType: 2, gasPrice: null, rawTransaction: null, txHash: null };
    expect(deploy).toMatchObject({
      ...common,
      toAddress: token,
      contractAddress: token,
      receiver: token,
      isDeployment: true,
      note: "Deploying",
      externalId: null,
      contractName: "SecurityToken",
      functionSignature: null,
      value: "0",
      sourceName: "contracts/SecurityToken.sol:SecurityToken",
    });
    expect(deploy.constructorArguments).toMatch(/^[0-9a-f]+$/);
    expect(deploy.data.endsWith(deploy.constructorArguments as string)).toBe(true);
    expect(deploy.compilerInputId).toEqual(expect.any(String));
    expect(BigInt(deploy.gasLimit)).toBeGreaterThan(1_000_000n);
    expect(pay).toMatchObject({
      ...common,
      toAddress: token,
      contractAddress: token,
      receiver: HOLDER,
      isDeployment: false,
      note: "Paying",
      externalId: "pay-1",
      functionSignature: "transfer(address,uint256)",
      value: "7",
      gasLimit: "90000",
      sourceName: null,
      constructorArguments: null,
      compilerInputId: null,
    });
    expect(issue).toMatchObject({ receiver: token, value: "0", gasLimit: "80000", externalId: null, functionSignature: "issueTokens(uint256)" });
    for (const row of rows) {
      expect(Date.parse(row.createdAt)).toBeGreaterThanOrEqual(before - 1_000);
      expect(Date.parse(row.createdAt)).toBeLessThanOrEqual(Date.now() + 1_000);
    }
    expect(rows[0].createdAt).toBe(rows[2].createdAt);
    expect((await ledgerOf(env.db).findAccount(accountKey(env)))?.nextNonce).toBe(3);
    // The next preparation continues after them.
    const next = await prepareTransactions(env, (builder) => builder.call("SecurityToken", token, "issueTokens", [1n], "Again", { gasLimit: 80_000n }));
    expect(next.map((row) => row.nonce)).toEqual([3]);
  });

  // Kills: `txType: gasPriceWei !== undefined ? 0 : 2` and the gas price recorded; options.fallbackGas
  // not passed to decideGasLimits (a call to a contract deployed in the same batch gets the table's
  // limit, not the default million).
  it("a forced gas price makes legacy rows; a call that cannot be estimated yet gets the caller's fallback", async () => {
    const env = environment("legacy and fallback", { gasPriceWei: 3_000_000_000n });
    const rows = await prepareTransactions(
      env,
      (builder) => {
        const token = builder.deploy("SecurityToken", ["Legacy", "LEG", "https://example.com", ZeroAddress], "Deploying");
        builder.call("SecurityToken", token, "transfer", [HOLDER, 5n], "Paying");
      },
      { fallbackGas: { "transfer(address,uint256)": 123_456n } },
    );
    expect(rows.map((row) => [row.txType, row.gasPrice])).toEqual([
      [0, "3000000000"],
      [0, "3000000000"],
    ]);
    expect(rows[1].gasLimit).toBe("123456");
  });

  // Kills: `builder.steps.length === 0` (an empty plan writing nothing, calling no afterInsert),
  // afterInsert's arguments (the rows inserted, the unit's sql client), and a throwing afterInsert
  // not aborting the rows and the nonce.
  it("nothing planned: nothing written; afterInsert runs inside the unit, and throwing aborts everything", async () => {
    const env = environment("after insert");
    let calls = 0;
    expect(await prepareTransactions(env, () => undefined, { afterInsert: () => void (calls += 1) })).toEqual([]);
    expect(calls).toBe(0);
    expect((await ledgerOf(env.db).findAccount(accountKey(env)))?.nextNonce ?? 0).toBe(0);

    const failing = prepareTransactions(env, (builder) => builder.call("SecurityToken", RECEIVER, "issueTokens", [1n], "One", { gasLimit: 80_000n }), {
      afterInsert: async (rows, sql) => {
        expect(rows.map((row) => row.note)).toEqual(["One"]);
        // The unit's own client sees the row before it commits.
        const seen = await sql.all<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions WHERE note = 'One'", []);
        expect(Number(seen[0].n)).toBe(1);
        throw new StoError("payments refused");
      },
    });
    await expect(failing).rejects.toThrow("payments refused");
    const account = await ledgerOf(env.db).findAccount(accountKey(env));
    expect(account?.nextNonce ?? 0).toBe(0);
    expect(await ledgerOf(env.db).transactionsInStatus(account?.id ?? -1, ["waiting"])).toEqual([]);

    let given: PreparedTransaction[] = [];
    const rows = await prepareTransactions(env, (builder) => builder.call("SecurityToken", RECEIVER, "issueTokens", [1n], "Two", { gasLimit: 80_000n }), {
      afterInsert: (inserted) => void (given = inserted),
    });
    expect(given).toEqual(rows);
    expect(rows.map((row) => row.nonce)).toEqual([0]);
  });

  // Kills the nonce re-check under the lock (`allocation.nextNonce !== builder.startNonce` forced
  // false: two transactions with one nonce), `if (result)`, the debug message, and the retry
  // (building again from the new next nonce).
  it("another process takes the nonce between building and allocating: built again from the next nonce", async () => {
    const env = environment("race once");
    let builds = 0;
    const rows = await prepareTransactions(env, async (builder) => {
      builds += 1;
      if (builds === 1) await takeNextNonce(env);
      builder.call("SecurityToken", RECEIVER, "issueTokens", [1n], `mine, build ${builds}`, { gasLimit: 80_000n });
    });
    expect(builds).toBe(2);
    expect(rows.map((row) => [row.nonce, row.note])).toEqual([[1, "mine, build 2"]]);
    expect(env.messages).toContain("nonce 0 was taken by another process; preparing again");
    expect((await ledgerOf(env.db).findAccount(accountKey(env)))?.nextNonce).toBe(2);
  });

  // Kills MAX_NONCE_RACE_RETRIES and `attempt < MAX_NONCE_RACE_RETRIES` as `<=`, and the message;
  // without a debug function (`env.debug?.` as `env.debug(`).
  it("other processes keep taking the nonce: gives up after 20 attempts, nothing of ours written", async () => {
    const env = { ...environment("race forever"), debug: undefined };
    let builds = 0;
    const run = prepareTransactions(env, async (builder) => {
      builds += 1;
      await takeNextNonce(env);
      builder.call("SecurityToken", RECEIVER, "issueTokens", [1n], "mine", { gasLimit: 80_000n });
    });
    await expect(run).rejects.toThrow(new StoError("could not allocate nonces: other sto processes keep preparing on the same database; try again"));
    expect(builds).toBe(20);
    const account = await ledgerOf(env.db).findAccount(accountKey(env));
    expect(account?.nextNonce).toBe(20);
    expect((await ledgerOf(env.db).transactionsInStatus(account?.id ?? -1, ["waiting"])).map((row) => row.note)).toEqual(Array(20).fill("another process"));
  });

  // Kills the stream's pieces (STREAM_CHUNK, `from += STREAM_CHUNK`, `Math.min(steps.count, ...)`,
  // the builder's start nonce per piece), afterChunk's arguments, the gas limit given, advanceTo, the
  // range returned, and an empty plan taking no nonce.
  it("a streamed plan: stored piece by piece, contiguous nonces, the range returned", async () => {
    const env = environment("stream");
    await takeNextNonce(env);
    const count = 2 * STREAM_CHUNK + 5;
    const planned: [number, number, number][] = [];
    const chunks: [number, number, number][] = [];
    const range = await prepareTransactionStream(
      env,
      {
        count,
        plan(builder, from, to) {
          planned.push([from, to, builder.startNonce]);
          for (let index = from; index < to; index++) {
            builder.call("SecurityToken", RECEIVER, "transfer", [HOLDER, BigInt(index)], `payment ${index}`, { gasLimit: 70_000n, externalId: `p${index}` });
          }
        },
        afterChunk(rows, from) {
          chunks.push([from, rows[0].nonce, rows.length]);
          expect(rows.every((row, offset) => row.note === `payment ${from + offset}` && row.gasLimit === "70000")).toBe(true);
        },
      },
      30_000_000n,
    );
    expect(STREAM_CHUNK).toBe(1_000);
    expect(planned).toEqual([
      [0, 1000, 1],
      [1000, 2000, 1001],
      [2000, 2005, 2001],
    ]);
    expect(chunks).toEqual([
      [0, 1, 1000],
      [1000, 1001, 1000],
      [2000, 2001, 5],
    ]);
    const account = await ledgerOf(env.db).findAccount(accountKey(env));
    expect(range).toEqual({ accountId: account?.id, startNonce: 1, count });
    expect(account?.nextNonce).toBe(count + 1);
    const stored = await ledgerOf(env.db).transactionsInRange(range);
    expect(stored.map((row) => row.nonce)).toEqual(Array.from({ length: count }, (_, index) => index + 1));

    expect(await prepareTransactionStream(env, { count: 0, plan: () => undefined }, 30_000_000n)).toEqual({ accountId: account?.id, startNonce: count + 1, count: 0 });
    expect((await ledgerOf(env.db).findAccount(accountKey(env)))?.nextNonce).toBe(count + 1);

    // Exactly one piece: planned and stored once (`from < steps.count` as `<=` would add an empty piece).
    const pieces: number[] = [];
    const one = await prepareTransactionStream(
      env,
      {
        count: STREAM_CHUNK,
        plan(builder, from, to) {
          for (let index = from; index < to; index++) builder.call("SecurityToken", RECEIVER, "transfer", [HOLDER, 1n], `one ${index}`, { gasLimit: 70_000n });
        },
        afterChunk: (rows) => void pieces.push(rows.length),
      },
      30_000_000n,
    );
    expect(pieces).toEqual([STREAM_CHUNK]);
    expect(one).toEqual({ accountId: account?.id, startNonce: count + 1, count: STREAM_CHUNK });
  });

  // Kills the barrier's point emptied in both functions (`barrierReached("before-allocate")`), and
  // an empty stream reaching it (prepare.ts:118 forced false): the
  // concurrency tests (test/distribution/concurrency.test.ts, tx/crash "two processes") make
  // processes meet there, under the lock's doorstep. STO_TEST_BARRIER is read when src/tx/faults.ts
  // loads: each function is run from modules loaded afresh with it set (one process meeting itself).
  it.each(["prepareTransactions", "prepareTransactionStream"] as const)("%s reaches the barrier before-allocate", async (which) => {
    const env = environment(`barrier ${which}`);
    const folder = fs.mkdtempSync(path.join(dir, "barrier-"));
    process.env.STO_TEST_BARRIER = `before-allocate:${folder}:1`;
    vi.resetModules();
    try {
      const fresh = await import("../../src/tx/prepare");
      if (which === "prepareTransactions") {
        await fresh.prepareTransactions(env, (builder) => builder.call("SecurityToken", RECEIVER, "issueTokens", [1n], "barrier", { gasLimit: 80_000n }));
      } else {
        // An empty plan returns before: it takes no lock and meets nobody (`if (steps.count === 0)` forced false).
        await fresh.prepareTransactionStream(env, { count: 0, plan: () => undefined }, 30_000_000n);
        expect(fs.readdirSync(folder)).toEqual([]);
        await fresh.prepareTransactionStream(
          env,
          { count: 1, plan: (builder) => builder.call("SecurityToken", RECEIVER, "issueTokens", [1n], "barrier", { gasLimit: 80_000n }) },
          30_000_000n,
        );
      }
    } finally {
      delete process.env.STO_TEST_BARRIER;
      vi.resetModules();
    }
    expect(fs.readdirSync(folder)).toEqual([String(process.pid)]);
  });

  // Kills the plan-size check (`builder.steps.length !== to - from`) and its message; a wrong plan,
  // or a limit above the block's, aborts every piece already inserted.
  it("a streamed plan that gives the wrong number of transactions, or a gas limit above the block's: nothing written", async () => {
    const env = environment("stream wrong");
    const plan = (extra: number, gasLimit = 70_000n) => ({
      count: STREAM_CHUNK + 3,
      plan(builder: Parameters<Parameters<typeof prepareTransactionStream>[1]["plan"]>[0], from: number, to: number) {
        const last = to === STREAM_CHUNK + 3 ? to + extra : to;
        for (let index = from; index < last; index++) builder.call("SecurityToken", RECEIVER, "transfer", [HOLDER, 1n], `p${index}`, { gasLimit });
      },
    });
    await expect(prepareTransactionStream(env, plan(-1), 30_000_000n)).rejects.toThrow("the plan gave 2 transactions for 3 places");
    await expect(prepareTransactionStream(env, plan(1), 30_000_000n)).rejects.toThrow("the plan gave 4 transactions for 3 places");
    await expect(prepareTransactionStream(env, plan(0, 40_000_000n), 30_000_000n)).rejects.toThrow(/gas limit 40000000 is above the block gas limit/);
    const account = await ledgerOf(env.db).findAccount(accountKey(env));
    expect(account?.nextNonce).toBe(0);
    expect(await ledgerOf(env.db).transactionsInStatus(account?.id ?? -1, ["waiting"])).toEqual([]);
  });
});
