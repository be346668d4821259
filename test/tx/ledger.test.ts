import { Wallet, ZeroAddress } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEVELOPMENT_PRIVATE_KEY } from "../../src/chain/local-node";
import { openAuditDatabase, openDatabase, type SqliteDatabase, type StoDatabase } from "../../src/db/database";
import { parseDatabaseUrl } from "../../src/config/database";
import { StoError } from "../../src/errors";
import { createTxEnvironment, type TxEnvironment } from "../../src/tx/environment";
import {
  AWAITING_RESULT_STATUSES,
  canMove,
  checkMove,
  ledgerOf,
  LIVE_DEPLOYMENT_STATUSES,
  REPLACEABLE_STATUSES,
  SENDABLE_STATUSES,
  SignatureConflict,
  TX_STATUSES,
  UNMINED_STATUSES,
  isFinal,
  REORG_CHECKED_STATUSES,
  type PreparedTransaction,
  type SignedVersion,
} from "../../src/tx/ledger";
import { accountKey, ensureAccount } from "../../src/tx/nonces";
import { prepareTransactions } from "../../src/tx/prepare";
import { startTestChain, type TestChain } from "../helpers/chain";
import { tempDir } from "../helpers/cli";
import { freshPostgresDatabase } from "../helpers/postgres";

describe("the status machine", () => {
  it("lets tx-broadcast move every sendable status to broadcasted and tx-update every awaited one to an outcome", () => {
    for (const status of SENDABLE_STATUSES) expect(canMove(status, "broadcasted")).toBe(true);
    for (const status of AWAITING_RESULT_STATUSES) {
      for (const outcome of ["mining", "success", "failed", "dropped", "broadcasted"] as const) expect(canMove(status, outcome)).toBe(true);
    }
  });

  it("never moves a final status; the statuses not final are the unmined ones and success", () => {
    for (const status of TX_STATUSES) {
      if (isFinal(status)) for (const to of TX_STATUSES) expect(canMove(status, to)).toBe(false);
    }
    const notFinal = [...UNMINED_STATUSES, ...REORG_CHECKED_STATUSES].sort((a, b) => TX_STATUSES.indexOf(a) - TX_STATUSES.indexOf(b));
    expect(TX_STATUSES.filter((status) => !isFinal(status))).toEqual(notFinal);
    expect(canMove("waiting", "success")).toBe(false);
    expect(canMove("exported", "broadcasted")).toBe(false);
    // A failure is never reopened: the payment may have been prepared again meanwhile.
    expect(isFinal("failed")).toBe(true);
    // A success whose block a reorganisation removed is awaited again, never prepared or signed again.
    for (const status of REORG_CHECKED_STATUSES) {
      expect(canMove(status, "broadcasted")).toBe(true);
      expect(canMove(status, "dropped")).toBe(true);
      expect(canMove(status, "waiting")).toBe(false);
      expect(canMove(status, "exported")).toBe(false);
    }
  });
});

/** The write-ahead record of a first signature of `row`. */
function firstSignature(row: PreparedTransaction, hash: string): SignedVersion {
  return {
    transactionId: row.id,
    nonce: row.nonce,
    expect: { txHash: null },
    txHash: hash,
    rawTransaction: `0x${hash.slice(2)}`,
    signedAt: new Date().toISOString(),
    kind: "original",
    row: { gasPrice: row.gasPrice, maxFeePerGas: "1", maxPriorityFeePerGas: "1", gasLimit: row.gasLimit },
    signature: { gasPrice: row.gasPrice, maxFeePerGas: "1", maxPriorityFeePerGas: "1", gasLimit: row.gasLimit },
  };
}

describe("the status machine, whole", () => {
  // Every pair (from, to) the documented machine allows (src/tx/ledger/states.ts, docs/architecture.md);
  // every other pair of the eight statuses is refused. Kills each mutant of the TRANSITIONS table
  // (an entry emptied, a list emptied, an entry added by `[]` → `["Stryker was here"]`), which the
  // tests above, written from the commands' point of view, let through for pairs no command uses
  // yet (waiting → exported, dropped → dropped, success → success, ...).
  const ALLOWED: Record<string, string[]> = {
    waiting: ["broadcasted", "exported"],
    broadcasted: ["broadcasted", "mining", "success", "failed", "dropped"],
    mining: ["broadcasted", "mining", "success", "failed", "dropped"],
    dropped: ["broadcasted", "dropped", "mining", "success", "failed"],
    success: ["broadcasted", "dropped", "mining", "success", "failed"],
    failed: [],
    exported: [],
    replaced: [],
  };

  it("allows exactly the documented moves between the eight statuses, and names the refused one", () => {
    expect([...TX_STATUSES].sort()).toEqual(Object.keys(ALLOWED).sort());
    for (const from of TX_STATUSES) {
      for (const to of TX_STATUSES) {
        const allowed = ALLOWED[from].includes(to);
        expect(canMove(from, to), `${from} → ${to}`).toBe(allowed);
        if (allowed) expect(() => checkMove(from, to, 7)).not.toThrow();
        else expect(() => checkMove(from, to, 7)).toThrow(`transaction nonce 7: status ${from} cannot become ${to}`);
      }
      expect(isFinal(from), from).toBe(ALLOWED[from].length === 0);
    }
  });

  it("lists the statuses each command works from", () => {
    expect([...UNMINED_STATUSES]).toEqual(["waiting", "broadcasted", "mining", "dropped"]);
    expect([...SENDABLE_STATUSES]).toEqual(["waiting", "broadcasted", "dropped"]);
    expect([...AWAITING_RESULT_STATUSES]).toEqual(["broadcasted", "mining", "dropped"]);
    expect([...REORG_CHECKED_STATUSES]).toEqual(["success"]);
    expect([...REPLACEABLE_STATUSES]).toEqual(["waiting", "broadcasted", "dropped"]);
    expect([...LIVE_DEPLOYMENT_STATUSES]).toEqual(["waiting", "broadcasted", "mining", "success", "dropped"]);
  });
});

describe("the SQLite ledger", () => {
  let chain: TestChain;
  let db: SqliteDatabase;
  let env: TxEnvironment;
  let cleanup: () => void;
  beforeAll(async () => {
    chain = await startTestChain({ accounts: 2 });
    const temp = tempDir();
    cleanup = temp.cleanup;
    db = openDatabase(`${temp.dir}/ledger.sqlite`);
    env = await createTxEnvironment({ db, provider: chain.provider, network: "local", address: new Wallet(DEVELOPMENT_PRIVATE_KEY).address.toLowerCase() });
  });
  afterAll(async () => {
    db?.close();
    cleanup?.();
    await chain?.close();
  });

  /** A waiting, unsigned row of the test's own: no test reads another's rows. */
  async function ownRow(name: string): Promise<PreparedTransaction> {
    const [row] = await prepareTransactions(env, (builder) => {
      builder.deploy("SecurityToken", [name, "OWN", "https://example.com", ZeroAddress], `Deploying ${name}`);
    });
    return row;
  }

  it("createTxEnvironment reads the chain id and refuses a database of another chain", async () => {
    expect(env.chainId).toBe(31337);
    expect(env.address).toBe(new Wallet(DEVELOPMENT_PRIVATE_KEY).address);
    const other = openDatabase(`${db.file}.other`);
    try {
      other.sqlite.prepare("INSERT INTO networks (name, chain_id) VALUES ('local', 1)").run();
      await expect(createTxEnvironment({ db: other, provider: chain.provider, network: "local", address: env.address })).rejects.toThrow(StoError);
    } finally {
      other.close();
    }
  });

  it("hands out contiguous nonces to units of work started at once, and keeps nothing of a unit that throws", async () => {
    const ledger = ledgerOf(db);
    const account = await ensureAccount(env);
    const start = account.nextNonce;
    const plan = (builder: Parameters<Parameters<typeof prepareTransactions>[1]>[0]) => {
      const token = builder.deploy("SecurityToken", ["Ledger", "LDG", "https://example.com", ZeroAddress], "Deploying");
      builder.call("SecurityToken", token, "issueTokens", [1n], "Issuing");
    };
    const failing = ledger.allocate(account.id, async (allocation) => {
      await allocation.advanceTo(allocation.nextNonce + 5);
      throw new Error("abort");
    });
    const [first, second] = await Promise.all([prepareTransactions(env, plan), prepareTransactions(env, plan), failing.catch(() => undefined)]);
    const nonces = [...first, ...second].map((row) => row.nonce).sort((a, b) => a - b);
    expect(nonces).toEqual([start, start + 1, start + 2, start + 3]);
    expect((await ledger.findAccount(env))?.nextNonce).toBe(start + 4);
  });

  it("prepares again when another writer took the nonce between building and allocating (forced overlap)", async () => {
    const ledger = ledgerOf(db);
    const account = await ensureAccount(env);
    const start = account.nextNonce;
    const startNonces: number[] = [];
    let intruder: Awaited<ReturnType<typeof prepareTransactions>> = [];
    // The barrier: the first build of A, having read nonce `start`, lets B prepare two rows before A
    // reaches the write lock. No timing involved: B is done before A allocates.
    const rowsOfA = await prepareTransactions(env, async (builder) => {
      startNonces.push(builder.startNonce);
      if (startNonces.length === 1) {
        intruder = await prepareTransactions(env, (other) => {
          const token = other.deploy("SecurityToken", ["Intruder", "INT", "https://example.com", ZeroAddress], "Deploying B");
          other.call("SecurityToken", token, "issueTokens", [1n], "Issuing B");
        });
      }
      builder.deploy("SecurityToken", ["Overlap", "OVL", "https://example.com", ZeroAddress], "Deploying A");
    });
    expect(startNonces).toEqual([start, start + 2]);
    expect(intruder.map((row) => [row.nonce, row.note])).toEqual([
      [start, "Deploying B"],
      [start + 1, "Issuing B"],
    ]);
    expect(rowsOfA.map((row) => [row.nonce, row.note])).toEqual([[start + 2, "Deploying A"]]);
    expect((await ledger.findAccount(env))?.nextNonce).toBe(start + 3);
  });

  // The allocation's guard rails (a bug in a caller, never a user error): kills the mutants of
  // allocate's checks in src/tx/ledger/sqlite.ts that no test reached (not covered in the first ledger
  // run): `first < nextNonce`, the contiguity/account/status test of every row, the empty insert, the
  // next nonce going back (`<` as `<=`), the account that disappeared, and their messages.
  it("refuses rows that are not new, waiting and contiguous from the next nonce, and a next nonce that goes back, writing nothing", async () => {
    const ledger = ledgerOf(db);
    const template = await ownRow("Guarded");
    const account = await ensureAccount(env);
    const next = account.nextNonce;
    const { id: _id, ...fresh } = template;
    const row = (nonce: number, changes: Partial<typeof fresh> = {}) => ({ ...fresh, nonce, ...changes });
    const count = () => (db.sqlite.prepare("SELECT COUNT(*) AS n FROM prepared_transactions").get() as { n: number }).n;
    const before = count();
    const refusal = `prepared transactions must be new, waiting and contiguous from nonce ${next} of account ${account.id}`;
    const attempt = (work: Parameters<typeof ledger.allocate>[1]) => ledger.allocate(account.id, work);
    await expect(attempt((allocation) => allocation.insert([row(next - 1)]))).rejects.toThrow(refusal);
    await expect(attempt((allocation) => allocation.insert([row(next), row(next + 2)]))).rejects.toThrow(refusal);
    await expect(attempt((allocation) => allocation.insert([row(next), row(next + 1, { status: "broadcasted" })]))).rejects.toThrow(refusal);
    await expect(attempt((allocation) => allocation.insert([row(next), row(next + 1, { accountId: account.id + 1 })]))).rejects.toThrow(refusal);
    expect(await attempt((allocation) => allocation.insert([]))).toEqual([]);
    await expect(attempt((allocation) => allocation.advanceTo(next - 1))).rejects.toThrow(
      `the next nonce of account ${account.id} cannot go back from ${next} to ${next - 1}`,
    );
    await attempt((allocation) => allocation.advanceTo(next));
    await expect(ledger.allocate(account.id + 1_000, async () => undefined)).rejects.toThrow(`broadcast account ${account.id + 1_000} disappeared from the database`);
    expect(count()).toBe(before);
    expect((await ledger.findAccount(env))?.nextNonce).toBe(next);
  });

  // Kills, in src/tx/ledger/sqlite.ts: openAccount's `if (existing) return existing` forced false (the
  // node asked again for an account the database knows), `if (raced) return raced` forced false (a
  // second row for an account another writer created meanwhile: forced here by creating it from
  // inside the first writer's startNonce, no timing), and restartNonce's "already holds transactions"
  // check forced true (an account without transactions refused), with the insert of a new account.
  it("opens an account once, also when another writer creates it meanwhile; restarts the nonce only of an account without transactions", async () => {
    const ledger = ledgerOf(db);
    const key = { network: "local", chainId: env.chainId, address: "0x00000000000000000000000000000000000000a1" };
    let asked = 0;
    const raced = await ledger.openAccount(key, async () => {
      asked++;
      // Another writer opens the same account before this one takes the write lock.
      await ledger.openAccount(key, async () => {
        asked++;
        return 7;
      });
      return 3;
    });
    expect(raced.nextNonce).toBe(7);
    expect(asked).toBe(2);
    expect(await ledger.openAccount(key, async () => ++asked)).toEqual(raced);
    expect(asked).toBe(2);
    const rows = db.sqlite.prepare("SELECT next_nonce AS nextNonce FROM broadcast_accounts WHERE address = ?").all(key.address);
    expect(rows).toEqual([{ nextNonce: 7 }]);

    expect(await ledger.restartNonce(key, 9, "ledger.sqlite")).toEqual({ previous: 7, next: 9 });
    expect((await ledger.findAccount(key))?.nextNonce).toBe(9);
    const unknown = { ...key, address: "0x00000000000000000000000000000000000000a2" };
    expect(await ledger.restartNonce(unknown, 4, "ledger.sqlite")).toEqual({ next: 4 });
    expect(await ledger.findAccount(unknown)).toMatchObject({ network: "local", chainId: env.chainId, address: unknown.address, nextNonce: 4 });
    await ownRow("Restart");
    await expect(ledger.restartNonce(accountKey(env), 0, "ledger.sqlite")).rejects.toThrow(
      `database ledger.sqlite already holds transactions of ${env.address} on local: restarting the nonce would reuse their nonces`,
    );
  });

  it("records a first signature once: a second writer that saw none is refused and writes nothing", async () => {
    const ledger = ledgerOf(db);
    // Its own unsigned row, not one left by another test.
    const [row] = await prepareTransactions(env, (builder) => {
      builder.deploy("SecurityToken", ["Once", "ONC", "https://example.com", ZeroAddress], "Deploying");
    });
    expect(row.txHash).toBeNull();
    const version = (hash: string): SignedVersion => firstSignature(row, hash);
    await ledger.recordSignatures([version(`0x${"a".repeat(64)}`)]);
    await expect(ledger.recordSignatures([version(`0x${"b".repeat(64)}`)])).rejects.toBeInstanceOf(SignatureConflict);
    expect((await ledger.transaction(row.id))?.txHash).toBe(`0x${"a".repeat(64)}`);
    expect((await ledger.signaturesOf(row.id)).map((signature) => signature.txHash)).toEqual([`0x${"a".repeat(64)}`]);
  });

  it("reads the signatures of many transactions at once, each oldest first, none for an unsigned one", async () => {
    const ledger = ledgerOf(db);
    const rows = await prepareTransactions(env, (builder) => {
      for (const name of ["M1", "M2", "M3"]) builder.deploy("SecurityToken", [name, name, "https://example.com", ZeroAddress], `Deploying ${name}`);
    });
    await ledger.recordSignatures([firstSignature(rows[0], `0x${"5".repeat(64)}`), firstSignature(rows[2], `0x${"6".repeat(64)}`)]);
    const many = await ledger.signaturesOfMany(rows.map((row) => row.id));
    expect([...many.keys()]).toEqual(rows.map((row) => row.id));
    for (const row of rows) expect(many.get(row.id)).toEqual(await ledger.signaturesOf(row.id));
    expect(many.get(rows[0].id)?.map((signature) => signature.txHash)).toEqual([`0x${"5".repeat(64)}`]);
    expect(many.get(rows[1].id)).toEqual([]);
    expect(await ledger.signaturesOfMany([])).toEqual(new Map());
  });

  it("refuses a status change the machine does not allow, writing nothing", async () => {
    const ledger = ledgerOf(db);
    const row = await ownRow("Refused");
    await expect(ledger.recordResults([{ id: row.id, nonce: row.nonce, from: "waiting", set: { status: "success" } }], [])).rejects.toThrow(/cannot become success/);
    expect((await ledger.transaction(row.id))?.status).toBe("waiting");
  });

  it("records a result only while the row is still in the status it was decided from", async () => {
    await expectResultGuardedByStatus(db, await ownRow("Decided"));
  });
});

/**
 * A tx-update that decided a result from a status another process has since changed writes
 * nothing: neither the row nor its signatures. Both engines (kills dropping `AND status = ?` from
 * the ledger's result UPDATE, or the moved-row skip of the signatures).
 */
async function expectResultGuardedByStatus(db: StoDatabase, unsigned: PreparedTransaction): Promise<void> {
  const ledger = ledgerOf(db);
  await ledger.recordSignatures([firstSignature(unsigned, `0x${"c".repeat(64)}`)]);
  const row = (await ledger.transaction(unsigned.id)) as PreparedTransaction;
  await ledger.markBroadcasted([row.id]);
  const mined = { transactionId: row.id, minedHash: row.txHash as string };
  // Decided from "mining" by a tx-update that read the row before another process moved it.
  await ledger.recordResults([{ id: row.id, nonce: row.nonce, from: "mining", set: { status: "success", blockNumber: 7 } }], [mined]);
  expect(await ledger.transaction(row.id)).toMatchObject({ status: "broadcasted", blockNumber: null });
  expect((await ledger.signaturesOf(row.id)).map((signature) => signature.status)).toEqual(["pending"]);
  await ledger.recordResults([{ id: row.id, nonce: row.nonce, from: "broadcasted", set: { status: "mining", blockNumber: 7 } }], [mined]);
  expect(await ledger.transaction(row.id)).toMatchObject({ status: "mining", blockNumber: 7 });
  expect((await ledger.signaturesOf(row.id)).map((signature) => signature.status)).toEqual(["mined"]);
}

describe("the PostgreSQL ledger", () => {
  let chain: TestChain;
  let db: StoDatabase;
  let env: TxEnvironment;
  beforeAll(async () => {
    chain = await startTestChain({ accounts: 1 });
    db = await openAuditDatabase(parseDatabaseUrl(await freshPostgresDatabase(), "test"));
    env = await createTxEnvironment({ db, provider: chain.provider, network: "local", address: new Wallet(DEVELOPMENT_PRIVATE_KEY).address.toLowerCase() });
  });
  afterAll(async () => {
    await db?.close();
    await chain?.close();
  });

  it("records a result only while the row is still in the status it was decided from", async () => {
    const [row] = await prepareTransactions(env, (builder) => {
      builder.deploy("SecurityToken", ["Decided", "OWN", "https://example.com", ZeroAddress], "Deploying Decided");
    });
    await expectResultGuardedByStatus(db, row);
  });
});
