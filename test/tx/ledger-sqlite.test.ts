import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type SqliteDatabase } from "../../src/db/database";
import { ExitCode, StoError } from "../../src/errors";
import {
  SignatureConflict,
  type LedgerAccount,
  type NewPreparedTransaction,
  type PreparedTransaction,
  type SignedVersion,
  type TxStatus,
} from "../../src/tx/ledger";
import { buildStoredRows, SqliteLedger } from "../../src/tx/ledger/sqlite";
import { tempDir } from "../helpers/cli";

/*
 * The SQLite ledger's statements (src/tx/ledger/sqlite.ts), each exercised directly on a real
 * database file, in process: no chain, no CLI. Every test works on a network of its own (views filter
 * by network), so the tests share the database file but no rows. Each test names, in a comment, the
 * mutants of sqlite.ts it kills (`npm run test:mutation -- ledger --mutate src/tx/ledger/sqlite.ts`);
 * line numbers are those of sqlite.ts at the commit that added the comment.
 */

const CHAIN_ID = 31337;
const SENDER = "0x00000000000000000000000000000000000000f1";

let db: SqliteDatabase;
let ledger: SqliteLedger;
let cleanup: () => void;

beforeAll(() => {
  const temp = tempDir();
  cleanup = temp.cleanup;
  db = openDatabase(`${temp.dir}/ledger.sqlite`);
  ledger = new SqliteLedger(db);
});

afterAll(() => {
  db?.close();
  cleanup?.();
});

const hash = (digit: string | number) => `0x${String(digit).padStart(64, "0")}`;

async function openAccount(network: string, address = SENDER, start = 0): Promise<LedgerAccount> {
  return ledger.openAccount({ network, chainId: CHAIN_ID, address }, async () => start);
}

function newRow(account: LedgerAccount, nonce: number, changes: Partial<NewPreparedTransaction> = {}): NewPreparedTransaction {
  return {
    accountId: account.id,
    network: account.network,
    chainId: account.chainId,
    nonce,
    fromAddress: account.address,
    toAddress: "0x00000000000000000000000000000000000000c0",
    note: `row ${nonce}`,
    externalId: null,
    contractName: "SecurityToken",
    functionSignature: "issueTokens(uint256)",
    isDeployment: false,
    contractAddress: null,
    receiver: null,
    data: "0x",
    value: "0",
    gasLimit: "21000",
    txType: 2,
    gasPrice: null,
    maxFeePerGas: "10",
    maxPriorityFeePerGas: "1",
    status: "waiting",
    createdAt: "2026-12-01T00:00:00.000Z",
    ...changes,
  };
}

/** `count` waiting rows of the account from its next nonce, inserted in one allocation. */
async function insertRows(account: LedgerAccount, count: number, changes: (index: number) => Partial<NewPreparedTransaction> = () => ({})): Promise<PreparedTransaction[]> {
  return ledger.allocate(account.id, async (allocation) => {
    const rows = Array.from({ length: count }, (_, index) => newRow(account, allocation.nextNonce + index, changes(index)));
    const stored = await allocation.insert(rows);
    await allocation.advanceTo(allocation.nextNonce + count);
    return stored;
  });
}

/** A first signature of a row (the write-ahead record before its first send). */
function signed(row: PreparedTransaction, txHash: string, changes: Partial<SignedVersion> = {}): SignedVersion {
  return {
    transactionId: row.id,
    nonce: row.nonce,
    expect: { txHash: null },
    txHash,
    rawTransaction: `0xraw${txHash.slice(2, 10)}`,
    signedAt: "2026-12-01T01:00:00.000Z",
    kind: "original",
    row: { gasPrice: null, maxFeePerGas: "20", maxPriorityFeePerGas: "2", gasLimit: "30000" },
    signature: { gasPrice: null, maxFeePerGas: "20", maxPriorityFeePerGas: "2", gasLimit: null },
    ...changes,
  };
}

const stored = async (id: number) => (await ledger.transaction(id)) as PreparedTransaction;
const statusOf = async (id: number) => (await stored(id)).status;
const signatureStates = async (id: number) => (await ledger.signaturesOf(id)).map((signature) => [signature.txHash, signature.status, signature.nodeError]);

/** Sets a row's status directly (the ledger moves it only along the machine; a test needs any). */
function forceStatus(id: number, status: TxStatus): void {
  db.sqlite.prepare("UPDATE prepared_transactions SET status = ? WHERE id = ?").run(status, id);
}

describe("the SQLite ledger's accounts and nonces", () => {
  // Kills findAccount's body emptied (line 66-68) and findAccountNow's (70-76): the account is found,
  // and only by its whole key.
  it("finds an account by network, chain id and address only", async () => {
    const account = await openAccount("find");
    expect(await ledger.findAccount({ network: "find", chainId: CHAIN_ID, address: SENDER })).toEqual(account);
    expect(await ledger.findAccount({ network: "find", chainId: CHAIN_ID + 1, address: SENDER })).toBeUndefined();
    expect(await ledger.findAccount({ network: "find-other", chainId: CHAIN_ID, address: SENDER })).toBeUndefined();
  });

  // Kills the restart refusal's message function and its template emptied (lines 107-108): the whole
  // message, in the service's words and in the CLI's, and its exit code.
  it("refuses to restart the nonce of an account with transactions, naming the database and the setting", async () => {
    const account = await openAccount("restart", SENDER, 5);
    await insertRows(account, 1);
    const error = await ledger.restartNonce({ network: "restart", chainId: CHAIN_ID, address: SENDER }, 0, "audit.sqlite").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoError);
    const refusal = error as StoError;
    const text = (setting: string) =>
      `database audit.sqlite already holds transactions of ${SENDER} on restart: restarting the nonce would reuse their nonces; use a new ${setting}`;
    expect(refusal.message).toBe(text("databaseFile"));
    expect(refusal.renamed((field) => `--${field}`).message).toBe(text("--databaseFile"));
    expect(refusal.exitCode).toBe(ExitCode.StateMismatch);
    expect((await ledger.findAccount(account))?.nextNonce).toBe(6);
  });

  // Kills, in allocate (lines 121-135): `nextNonce = nonce` removed from advanceTo (the allocation
  // would then accept rows below the nonce it advanced to, and a second advanceTo going back), the
  // UPDATE's SQL emptied or removed (the account's next nonce not stored), the allocation's fields.
  it("keeps the allocation's own next nonce as it advances, and stores the last one", async () => {
    const account = await openAccount("advance", SENDER, 10);
    const refusal = `prepared transactions must be new, waiting and contiguous from nonce 13 of account ${account.id}`;
    const result = await ledger.allocate(account.id, async (allocation) => {
      expect(allocation.accountId).toBe(account.id);
      expect(allocation.nextNonce).toBe(10);
      expect(allocation.sql).toBe(db.sql);
      await allocation.advanceTo(13);
      await expect(allocation.insert([newRow(account, 11)])).rejects.toThrow(refusal);
      await expect(allocation.advanceTo(12)).rejects.toThrow(`the next nonce of account ${account.id} cannot go back from 13 to 12`);
      const rows = await allocation.insert([newRow(account, 13), newRow(account, 14)]);
      await allocation.advanceTo(15);
      return rows.map((row) => row.nonce);
    });
    expect(result).toEqual([13, 14]);
    expect((await ledger.findAccount(account))?.nextNonce).toBe(15);
    expect((await ledger.transactionsInStatus(account.id, ["waiting"])).map((row) => row.nonce)).toEqual([13, 14]);
  });
});

describe("the SQLite ledger's insert", () => {
  // Kills, in insertTransactions (line 161): `value === undefined` and `value === null` each forced
  // false and `||` as `&&` (a boolean column given undefined or null would be stored 0, read false,
  // instead of NULL), the conditional forced true (every value NULL), the loop bound `<=`; and the
  // column list and placeholders emptied or joined without commas (lines 150-152).
  it("stores every value as given, NULL for undefined and null also in a boolean column", async () => {
    const account = await openAccount("insert-values");
    const rows = await insertRows(account, 3, (index) =>
      [{ succeeded: undefined, isDeployment: true, externalId: "pay-1" }, { succeeded: null, gasPrice: null }, { succeeded: true, receiver: "0xr" }][index],
    );
    const again = await ledger.transactionsById(rows.map((row) => row.id));
    expect(rows).toStrictEqual(again);
    expect(again.map((row) => row.succeeded)).toEqual([null, null, true]);
    expect(again.map((row) => row.isDeployment)).toEqual([true, false, false]);
    expect(again.map((row) => [row.externalId, row.receiver, row.note, row.maxFeePerGas])).toEqual([
      ["pay-1", null, `row ${rows[0].nonce}`, "10"],
      [null, null, `row ${rows[1].nonce}`, "10"],
      [null, "0xr", `row ${rows[2].nonce}`, "10"],
    ]);
    expect(new Set(rows.map((row) => row.id)).size).toBe(3);
  });

  // Kills `if (built) return built` forced true (line 166: undefined returned for rows that leave out
  // a column with a default) and the read-back range emptied (167-168): rows without `value` and
  // `isDeployment` are read back with the database's defaults, exactly the rows inserted.
  it("reads the rows back when they leave out a column with a default", async () => {
    const account = await openAccount("insert-defaults");
    const before = await insertRows(account, 2);
    const rows = await ledger.allocate(account.id, async (allocation) => {
      const fresh = [0, 1, 2].map((index) => {
        const { value: _value, isDeployment: _isDeployment, ...row } = newRow(account, allocation.nextNonce + index);
        return row;
      });
      expect(buildStoredRows(fresh, [1, 2, 3])).toBeUndefined();
      const inserted = await allocation.insert(fresh);
      await allocation.advanceTo(allocation.nextNonce + 3);
      return inserted;
    });
    expect(rows.map((row) => row.nonce)).toEqual([2, 3, 4]);
    expect(rows.map((row) => [row.value, row.isDeployment, row.status])).toEqual([
      ["0", false, "waiting"],
      ["0", false, "waiting"],
      ["0", false, "waiting"],
    ]);
    expect(rows).toStrictEqual(await ledger.transactionsById(rows.map((row) => row.id)));
    expect(rows.some((row) => before.some((earlier) => earlier.id === row.id))).toBe(false);
  });

  // Kills buildStoredRows' mutants (lines 380-397), called directly: the empty case, each condition
  // of `buildable` (a column with a default left out, an `id` given, a value that is not plain: a
  // number beyond 2^53, an object; rows with different keys), and the built row (every column, NULL
  // for those not given, the id).
  it("builds the stored rows only when they can be trusted", () => {
    const account: LedgerAccount = { id: 1, network: "n", chainId: CHAIN_ID, address: SENDER, nextNonce: 0, createdAt: "t", updatedAt: "t" };
    expect(buildStoredRows([], [])).toEqual([]);
    const row = newRow(account, 4);
    const built = buildStoredRows([row, newRow(account, 5)], [41, 42]);
    expect(built?.map((stored) => stored.id)).toEqual([41, 42]);
    expect(built?.[0]).toStrictEqual({
      id: 41,
      ...row,
      rawTransaction: null,
      txHash: null,
      signedAt: null,
      broadcastAt: null,
      resultFetchedAt: null,
      blockNumber: null,
      blockHash: null,
      gasUsed: null,
      succeeded: null,
      revertReason: null,
      confirmations: null,
      sourceName: null,
      constructorArguments: null,
      compilerInputId: null,
      verifiedAt: null,
      verificationInfo: null,
    });
    expect(buildStoredRows([{ ...row, blockNumber: 2 ** 60 }], [1])).toBeUndefined();
    expect(buildStoredRows([{ ...row, blockNumber: 12, succeeded: false, externalId: undefined }], [1])?.[0]).toMatchObject({ blockNumber: 12, succeeded: false, externalId: null });
    expect(buildStoredRows([{ ...row, note: { text: "x" } as unknown as string }], [1])).toBeUndefined();
    expect(buildStoredRows([{ ...row, id: 9 } as NewPreparedTransaction], [1])).toBeUndefined();
    expect(buildStoredRows([row, { ...newRow(account, 5), blockHash: "0xb" }], [1, 2])).toBeUndefined();
    const { status: _status, ...withoutStatus } = row;
    expect(buildStoredRows([withoutStatus], [1])).toBeUndefined();
  });
});

describe("the SQLite ledger's views", () => {
  // Kills rows()' `limit === undefined` inverted or forced true (line 176: the limit ignored).
  it("gives the latest rows of a network up to the limit", async () => {
    const account = await openAccount("last");
    const rows = await insertRows(account, 4);
    expect((await ledger.lastTransactions("last", 2)).map((row) => row.id)).toEqual([rows[3].id, rows[2].id]);
    expect((await ledger.lastTransactions("last", 10)).map((row) => row.id)).toEqual(rows.map((row) => row.id).reverse());
  });

  // Kills transactionsById's and transactionStates' chunking (lines 183-184, 206-211: the chunk
  // bounds, the step) on more ids than one chunk, and their bodies; transactionsById answers in nonce
  // order whatever the order of the ids (equal nonces of two accounts by id: line 186's tie-break),
  // each row once (it was chunk by chunk, in the ids' order, an id given twice in two chunks twice).
  it("reads rows and their states by id across chunks, in nonce order, each once", async () => {
    const account = await openAccount("by-id");
    const rows = await insertRows(account, 1_203);
    const ids = rows.map((row) => row.id).reverse();
    const byId = await ledger.transactionsById([...ids, ids[0], ids[700]]);
    expect(byId.map((row) => row.nonce)).toEqual(rows.map((row) => row.nonce));
    expect(byId).toStrictEqual(rows);
    expect(await ledger.transactionsById([])).toEqual([]);
    // Equal nonces of two accounts, read in two chunks (the second account's row in the first): by id
    // among them. (Within one chunk, SQLite gives them in id order already.)
    const [second] = await insertRows(await openAccount("by-id", "0x00000000000000000000000000000000000000f4"), 1);
    const mixed = await ledger.transactionsById([second.id, ...rows.slice(1, 500).map((row) => row.id), rows[0].id]);
    expect(mixed.slice(0, 3).map((row) => row.id)).toEqual([rows[0].id, second.id, rows[1].id]);
    expect(mixed).toHaveLength(501);

    forceStatus(rows[600].id, "broadcasted");
    const states = await ledger.transactionStates([...ids, ids[3]]);
    expect(states.size).toBe(1_203);
    expect(states.get(rows[600].id)).toEqual({ id: rows[600].id, status: "broadcasted", nonce: rows[600].nonce, txHash: null, fromAddress: SENDER });
    expect(states.get(rows[1_202].id)).toEqual({ id: rows[1_202].id, status: "waiting", nonce: 1_202, txHash: null, fromAddress: SENDER });
    expect([...states.keys()].sort((a, b) => a - b)).toEqual(rows.map((row) => row.id));
    expect(await ledger.transactionStates([])).toEqual(new Map());
  });

  // Kills countUnmined's body (line 190) and unminedIdsFrom's SQL and placeholders (194-198): only
  // the sender's unmined rows of the network from the nonce on.
  it("counts the unmined rows and lists those of a sender from a nonce", async () => {
    const account = await openAccount("unmined");
    const other = await openAccount("unmined", "0x00000000000000000000000000000000000000f2");
    const rows = await insertRows(account, 6);
    const others = await insertRows(other, 2);
    forceStatus(rows[1].id, "broadcasted");
    forceStatus(rows[2].id, "mining");
    forceStatus(rows[3].id, "dropped");
    forceStatus(rows[4].id, "success");
    forceStatus(rows[5].id, "failed");
    expect(await ledger.countUnmined({ network: "unmined" })).toBe(6);
    expect(await ledger.countUnmined({ network: "unmined", from: SENDER })).toBe(4);
    expect(await ledger.countUnmined({ network: "unmined-none" })).toBe(0);
    expect([...(await ledger.unminedIdsFrom("unmined", SENDER, 1))].sort((a, b) => a - b)).toEqual([rows[1].id, rows[2].id, rows[3].id]);
    expect([...(await ledger.unminedIdsFrom("unmined", SENDER, 0))].sort((a, b) => a - b)).toEqual([rows[0].id, rows[1].id, rows[2].id, rows[3].id]);
    expect([...(await ledger.unminedIdsFrom("unmined", other.address, 1))]).toEqual([others[1].id]);
    expect(await ledger.unminedIdsFrom("unmined-none", SENDER, 0)).toEqual(new Set());
  });

  // Kills signaturesOf's body (lines 217-222) and signaturesOfMany's chunk bounds and step (228-230).
  it("reads the signatures of one transaction and of many, oldest first", async () => {
    const account = await openAccount("signatures");
    const rows = await insertRows(account, 3);
    await ledger.recordSignatures([signed(rows[0], hash("a1")), signed(rows[2], hash("a2"))]);
    await ledger.recordSignatures([signed(rows[0], hash("a3"), { expect: { txHash: hash("a1") }, kind: "bump" })]);
    expect((await ledger.signaturesOf(rows[0].id)).map((signature) => [signature.txHash, signature.kind])).toEqual([
      [hash("a1"), "original"],
      [hash("a3"), "bump"],
    ]);
    const many = await ledger.signaturesOfMany(rows.map((row) => row.id));
    expect([...many.keys()]).toEqual(rows.map((row) => row.id));
    expect(many.get(rows[0].id)).toEqual(await ledger.signaturesOf(rows[0].id));
    expect(many.get(rows[1].id)).toEqual([]);
    expect(many.get(rows[2].id)?.map((signature) => signature.txHash)).toEqual([hash("a2")]);
  });
});

describe("the SQLite ledger's signatures of many transactions", () => {
  // Kills signaturesOfMany's chunk `transactionIds.slice(...)` as `transactionIds` (line 228: every
  // chunk reads the signatures of all the ids, which then appear once per chunk): more transactions
  // than one chunk of 10,000.
  it("reads the signatures of more transactions than one query binds, each once", async () => {
    const account = await openAccount("signatures-many");
    const rows = await insertRows(account, 10_001);
    await ledger.recordSignatures([signed(rows[0], hash("71")), signed(rows[10_000], hash("72"))]);
    const many = await ledger.signaturesOfMany(rows.map((row) => row.id));
    expect(many.size).toBe(10_001);
    expect(many.get(rows[0].id)?.map((signature) => signature.txHash)).toEqual([hash("71")]);
    expect(many.get(rows[10_000].id)?.map((signature) => signature.txHash)).toEqual([hash("72")]);
    expect([...many.values()].reduce((count, signatures) => count + signatures.length, 0)).toBe(2);
  });
});

describe("the SQLite ledger's write-ahead record", () => {
  // Kills writeSignatures' row UPDATE and signature INSERT (lines 247-255: the values written), and
  // recordSignatures' empty case forced true (238: nothing ever recorded).
  it("records the signed version on the row and as a signature", async () => {
    const account = await openAccount("record");
    const [row] = await insertRows(account, 1);
    await ledger.recordSignatures([]);
    await ledger.recordSignatures([signed(row, hash("b1"))]);
    expect(await stored(row.id)).toMatchObject({
      txHash: hash("b1"),
      rawTransaction: "0xraw00000000",
      gasPrice: null,
      maxFeePerGas: "20",
      maxPriorityFeePerGas: "2",
      gasLimit: "30000",
      signedAt: "2026-12-01T01:00:00.000Z",
      status: "waiting",
    });
    const [signature] = await ledger.signaturesOf(row.id);
    expect(signature).toMatchObject({
      transactionId: row.id,
      txHash: hash("b1"),
      rawTransaction: "0xraw00000000",
      maxFeePerGas: "20",
      maxPriorityFeePerGas: "2",
      gasLimit: null,
      kind: "original",
      status: "pending",
      nodeError: null,
    });
  });

  // Kills the status guard of the UPDATE (line 251: forced off, its SQL emptied; `statuses ?? []`):
  // a version that expects the row in a status it has left is refused and writes nothing.
  it("records a version only while the row holds the hash and one of the statuses its writer saw", async () => {
    const account = await openAccount("guard");
    const [row] = await insertRows(account, 1);
    await ledger.recordSignatures([signed(row, hash("c1"))]);
    await ledger.markBroadcasted([row.id]);
    const bump = (txHash: string, statuses: TxStatus[]) => signed(row, txHash, { expect: { txHash: hash("c1"), statuses }, kind: "bump" });
    await expect(ledger.recordSignatures([bump(hash("c2"), ["waiting", "dropped"])])).rejects.toBeInstanceOf(SignatureConflict);
    expect((await stored(row.id)).txHash).toBe(hash("c1"));
    expect(await signatureStates(row.id)).toEqual([[hash("c1"), "pending", null]]);
    await ledger.recordSignatures([bump(hash("c3"), ["broadcasted"])]);
    expect((await stored(row.id)).txHash).toBe(hash("c3"));
    expect((await signatureStates(row.id)).map(([txHash]) => txHash)).toEqual([hash("c1"), hash("c3")]);
  });

  // Kills the keep-earlier condition (line 254): `&&` as `||`, `=== undefined` inverted, either side
  // forced: the earlier signature is kept first only when the row has no signature recorded yet.
  it("keeps a signature made before versions were recorded, once, before the new version", async () => {
    const account = await openAccount("earlier");
    const rows = await insertRows(account, 2);
    const earlier = (txHash: string) => ({
      txHash,
      rawTransaction: "0xearlier",
      gasPrice: "5",
      maxFeePerGas: null,
      maxPriorityFeePerGas: null,
      gasLimit: null,
      signedAt: "2026-11-30T00:00:00.000Z",
    });
    // A row signed before signatures were recorded: the row holds the hash, the table nothing.
    db.sqlite.prepare("UPDATE prepared_transactions SET tx_hash = ?, raw_transaction = '0xearlier' WHERE id = ?").run(hash("d1"), rows[0].id);
    await ledger.recordSignatures([signed(rows[0], hash("d2"), { expect: { txHash: hash("d1") }, kind: "bump", keepEarlier: earlier(hash("d1")) })]);
    expect((await ledger.signaturesOf(rows[0].id)).map((signature) => [signature.txHash, signature.kind, signature.gasPrice])).toEqual([
      [hash("d1"), "original", "5"],
      [hash("d2"), "bump", null],
    ]);
    // A row whose signatures are recorded already: the earlier one is not added again.
    await ledger.recordSignatures([signed(rows[1], hash("d3"))]);
    await ledger.recordSignatures([signed(rows[1], hash("d4"), { expect: { txHash: hash("d3") }, kind: "bump", keepEarlier: earlier(hash("d5")) })]);
    expect((await ledger.signaturesOf(rows[1].id)).map((signature) => signature.txHash)).toEqual([hash("d3"), hash("d4")]);
  });
});

describe("the SQLite ledger's status writes", () => {
  // Kills writeBroadcasted's SQL and its list of sendable statuses (lines 31, 268: the quotes, the
  // commas), its loop (271), and markBroadcasted's empty case forced true (260).
  it("marks the sendable rows broadcasted, keeping the first broadcast time, and leaves the others", async () => {
    const account = await openAccount("broadcast");
    const rows = await insertRows(account, 5);
    forceStatus(rows[1].id, "dropped");
    forceStatus(rows[2].id, "broadcasted");
    forceStatus(rows[3].id, "mining");
    forceStatus(rows[4].id, "exported");
    db.sqlite.prepare("UPDATE prepared_transactions SET broadcast_at = '2026-01-01T00:00:00.000Z' WHERE id = ?").run(rows[2].id);
    await ledger.markBroadcasted([]);
    await ledger.markBroadcasted(rows.map((row) => row.id));
    const after = await ledger.transactionsById(rows.map((row) => row.id));
    expect(after.map((row) => row.status)).toEqual(["broadcasted", "broadcasted", "broadcasted", "mining", "exported"]);
    expect(after[2].broadcastAt).toBe("2026-01-01T00:00:00.000Z");
    expect(after[0].broadcastAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(after[3].broadcastAt).toBeNull();
  });

  // Kills commitBroadcastChunk's early return (line 275: `&&` as `||`, forced true, either side forced
  // true) and `next.length === 0` forced true (278): marks alone, signatures alone, both.
  it("commits a chunk's marks and the next chunk's signatures, each also alone", async () => {
    const account = await openAccount("chunk");
    const rows = await insertRows(account, 3);
    await ledger.commitBroadcastChunk([], []);
    await ledger.commitBroadcastChunk([], [signed(rows[0], hash("e1"))]);
    expect((await stored(rows[0].id)).txHash).toBe(hash("e1"));
    await ledger.commitBroadcastChunk([rows[0].id], []);
    expect(await statusOf(rows[0].id)).toBe("broadcasted");
    await ledger.commitBroadcastChunk([rows[1].id], [signed(rows[2], hash("e2"))]);
    expect(await statusOf(rows[1].id)).toBe("broadcasted");
    expect((await stored(rows[2].id)).txHash).toBe(hash("e2"));
    expect(await signatureStates(rows[2].id)).toEqual([[hash("e2"), "pending", null]]);
  });

  // Kills the savepoint's ROLLBACK TO emptied (line 285: the chunk's first signature kept), SAVEPOINT
  // emptied (280), `error instanceof SignatureConflict` forced false (288: the marks rolled back) and
  // `if (conflict) throw conflict` forced false (293: the conflict unreported).
  it("keeps the marks and none of the chunk's signatures when one of them conflicts", async () => {
    const account = await openAccount("chunk-conflict");
    const rows = await insertRows(account, 3);
    await ledger.recordSignatures([signed(rows[2], hash("f1"))]);
    const error = await ledger
      .commitBroadcastChunk([rows[0].id], [signed(rows[1], hash("f2")), signed(rows[2], hash("f3"))])
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SignatureConflict);
    expect((error as SignatureConflict).nonce).toBe(rows[2].nonce);
    expect(await statusOf(rows[0].id)).toBe("broadcasted");
    expect(await stored(rows[1].id)).toMatchObject({ txHash: null, rawTransaction: null });
    expect(await ledger.signaturesOf(rows[1].id)).toEqual([]);
    // The connection is whole again: the next chunk commits.
    await ledger.commitBroadcastChunk([rows[2].id], [signed(rows[1], hash("f4"))]);
    expect((await stored(rows[1].id)).txHash).toBe(hash("f4"));
    expect(await statusOf(rows[2].id)).toBe("broadcasted");
  });

  // Kills `error instanceof SignatureConflict` forced true (line 288): an error that is not a
  // conflict (here a hash recorded for another row: the unique index) undoes the marks too.
  it("keeps nothing of a chunk whose signatures fail for another reason", async () => {
    const account = await openAccount("chunk-error");
    const rows = await insertRows(account, 3);
    await ledger.recordSignatures([signed(rows[2], hash("10"))]);
    const error = await ledger.commitBroadcastChunk([rows[0].id], [signed(rows[1], hash("10"))]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(SignatureConflict);
    expect((error as Error).message).toMatch(/UNIQUE constraint failed: transaction_signatures\.tx_hash/);
    expect(await statusOf(rows[0].id)).toBe("waiting");
    expect((await stored(rows[1].id)).txHash).toBeNull();
  });

  // Kills markExported's SQL (line 300) and loop (301): waiting rows only.
  it("marks waiting rows exported and no other", async () => {
    const account = await openAccount("export");
    const rows = await insertRows(account, 3);
    forceStatus(rows[1].id, "broadcasted");
    await ledger.markExported([]);
    await ledger.markExported(rows.map((row) => row.id));
    expect((await ledger.transactionsById(rows.map((row) => row.id))).map((row) => row.status)).toEqual(["exported", "broadcasted", "exported"]);
  });
});

describe("the SQLite ledger's writes with nothing to write", () => {
  // Kills the early returns of the writes given nothing to do, each forced false: recordSignatures
  // (line 238), markBroadcasted (260), commitBroadcastChunk (275), markExported (300) and
  // clearRejection's read before the write (338). Each would start a write transaction (BEGIN
  // IMMEDIATE) for nothing: a commit per call (clearRejection runs after every send) and a wait for
  // the write lock while another process holds it. Here another connection holds it, and every call
  // must still return at once; the ledger's connection waits 50 ms for a lock instead of 30 s, so a
  // call that takes the lock fails with SQLITE_BUSY.
  it("takes no write lock when there is nothing to write", async () => {
    const account = await openAccount("no-write");
    const [row] = await insertRows(account, 1);
    await ledger.recordSignatures([signed(row, hash("81"))]);
    const other = new Database(db.file);
    db.sqlite.pragma("busy_timeout = 50");
    try {
      other.exec("BEGIN IMMEDIATE");
      await ledger.recordSignatures([]);
      await ledger.markBroadcasted([]);
      await ledger.commitBroadcastChunk([], []);
      await ledger.markExported([]);
      await ledger.clearRejection(hash("81"));
      await ledger.clearRejection(hash("82"));
      // The lock is really held: a write waits for it and fails.
      await expect(ledger.markBroadcasted([row.id])).rejects.toThrow(/database is locked/);
      other.exec("ROLLBACK");
    } finally {
      db.sqlite.pragma("busy_timeout = 30000");
      other.close();
    }
    expect(await signatureStates(row.id)).toEqual([[hash("81"), "pending", null]]);
    expect(await statusOf(row.id)).toBe("waiting");
  });
});

describe("the SQLite ledger's results, rejections, verifications", () => {
  /** A row broadcasted with three signed versions, the middle one rejected by the node. */
  async function threeVersions(network: string, digits: [string, string, string]): Promise<PreparedTransaction> {
    const account = await openAccount(network);
    const [row] = await insertRows(account, 1);
    const [a, b, c] = digits.map(hash);
    await ledger.recordSignatures([signed(row, a)]);
    await ledger.recordSignatures([signed(row, b, { expect: { txHash: a }, kind: "bump" })]);
    await ledger.recordSignatures([signed(row, c, { expect: { txHash: b }, kind: "bump" })]);
    await ledger.markBroadcasted([row.id]);
    await ledger.recordRejection(b, "replacement transaction underpriced");
    return stored(row.id);
  }

  // Kills recordResults' signature statements (lines 316-324: SQL emptied, `tx_hash = ?` of the mined
  // one, the replaced ones sparing a rejected version, the reset on a reorg, `if (change.minedHash)`
  // forced false) and the row UPDATE's `changes === 0` (314).
  it("marks the mined version, the others replaced except a rejected one, and resets them on a reorg", async () => {
    const row = await threeVersions("results", ["21", "22", "23"]);
    expect(await signatureStates(row.id)).toEqual([
      [hash("21"), "pending", null],
      [hash("22"), "rejected", "replacement transaction underpriced"],
      [hash("23"), "pending", null],
    ]);
    await ledger.recordResults([{ id: row.id, nonce: row.nonce, from: "broadcasted", set: { status: "success", blockNumber: 9, txHash: hash("21") } }], [
      { transactionId: row.id, minedHash: hash("21") },
    ]);
    expect(await stored(row.id)).toMatchObject({ status: "success", blockNumber: 9, txHash: hash("21") });
    expect(await signatureStates(row.id)).toEqual([
      [hash("21"), "mined", null],
      [hash("22"), "rejected", "replacement transaction underpriced"],
      [hash("23"), "replaced", null],
    ]);
    // A reorganisation removed the block: awaited again, every version pending but the rejected one.
    await ledger.recordResults([{ id: row.id, nonce: row.nonce, from: "success", set: { status: "broadcasted", blockNumber: null } }], [{ transactionId: row.id }]);
    expect(await stored(row.id)).toMatchObject({ status: "broadcasted", blockNumber: null });
    expect(await signatureStates(row.id)).toEqual([
      [hash("21"), "pending", null],
      [hash("22"), "rejected", "replacement transaction underpriced"],
      [hash("23"), "pending", null],
    ]);
    // Then the last version is mined.
    await ledger.recordResults([{ id: row.id, nonce: row.nonce, from: "broadcasted", set: { status: "mining" } }], [{ transactionId: row.id, minedHash: hash("23") }]);
    expect(await signatureStates(row.id)).toEqual([
      [hash("21"), "replaced", null],
      [hash("22"), "rejected", "replacement transaction underpriced"],
      [hash("23"), "mined", null],
    ]);
  });

  // Kills the moved-row skip (line 320 forced false) for a row moved meanwhile while another, in the
  // same call, is recorded: each change guarded by its own row's status.
  it("records the rows still in their status and skips, signatures included, the one moved meanwhile", async () => {
    const account = await openAccount("results-moved");
    const rows = await insertRows(account, 2);
    await ledger.recordSignatures([signed(rows[0], hash("31")), signed(rows[1], hash("32"))]);
    await ledger.markBroadcasted(rows.map((row) => row.id));
    forceStatus(rows[1].id, "dropped");
    await ledger.recordResults(
      rows.map((row) => ({ id: row.id, nonce: row.nonce, from: "broadcasted" as const, set: { status: "success" as const } })),
      rows.map((row, index) => ({ transactionId: row.id, minedHash: hash(31 + index) })),
    );
    expect(await statusOf(rows[0].id)).toBe("success");
    expect(await statusOf(rows[1].id)).toBe("dropped");
    expect(await signatureStates(rows[0].id)).toEqual([[hash("31"), "mined", null]]);
    expect(await signatureStates(rows[1].id)).toEqual([[hash("32"), "pending", null]]);
  });

  // Kills recordRejection's SQL and body (line 332) — only a pending version is marked rejected —
  // and clearRejection's check inverted or forced true (338) and its UPDATE (340).
  it("marks a pending version rejected with the node's answer, and clears it when accepted later", async () => {
    const row = await threeVersions("rejections", ["41", "42", "43"]);
    await ledger.recordResults([{ id: row.id, nonce: row.nonce, from: "broadcasted", set: { status: "mining" } }], [{ transactionId: row.id, minedHash: hash("43") }]);
    await ledger.recordRejection(hash("43"), "nonce too low");
    await ledger.recordRejection(hash("41"), "already known");
    expect(await signatureStates(row.id)).toEqual([
      [hash("41"), "replaced", null],
      [hash("42"), "rejected", "replacement transaction underpriced"],
      [hash("43"), "mined", null],
    ]);
    await ledger.clearRejection(hash("43"));
    await ledger.clearRejection(hash("42"));
    expect(await signatureStates(row.id)).toEqual([
      [hash("41"), "replaced", null],
      [hash("42"), "pending", null],
      [hash("43"), "mined", null],
    ]);
    await ledger.recordRejection(hash("42"), "underpriced again");
    expect((await signatureStates(row.id))[1]).toEqual([hash("42"), "rejected", "underpriced again"]);
  });

  // Kills recordVerification's `verifiedAt !== undefined` forced false (line 348: the time never
  // stored), its values emptied, and its WHERE (349: other rows untouched).
  it("records a verification's outcome, and its time only when verified", async () => {
    const account = await openAccount("verify");
    const rows = await insertRows(account, 2);
    await ledger.recordVerification(rows[0].id, "pending in the explorer");
    expect(await stored(rows[0].id)).toMatchObject({ verificationInfo: "pending in the explorer", verifiedAt: null });
    await ledger.recordVerification(rows[0].id, "verified", "2026-12-01T02:00:00.000Z");
    expect(await stored(rows[0].id)).toMatchObject({ verificationInfo: "verified", verifiedAt: "2026-12-01T02:00:00.000Z" });
    await ledger.recordVerification(rows[0].id, "checked again");
    expect(await stored(rows[0].id)).toMatchObject({ verificationInfo: "checked again", verifiedAt: "2026-12-01T02:00:00.000Z" });
    expect(await stored(rows[1].id)).toMatchObject({ verificationInfo: null, verifiedAt: null });
  });

  // Kills forgetNetwork's statements (lines 360-366: each SQL emptied, the counts) and the
  // dependents' call (361): the network's transactions, signatures and accounts go, another's stay.
  it("forgets one network's transactions, signatures and accounts after their dependents", async () => {
    const gone = await openAccount("forget");
    const goneToo = await openAccount("forget", "0x00000000000000000000000000000000000000f3");
    const kept = await openAccount("forget-kept");
    const goneRows = [...(await insertRows(gone, 2)), ...(await insertRows(goneToo, 1))];
    const keptRows = await insertRows(kept, 1);
    const keptAccount = await ledger.findAccount(kept);
    await ledger.recordSignatures([signed(goneRows[0], hash("51")), signed(keptRows[0], hash("52"))]);
    const seen: number[][] = [];
    const result = await ledger.forgetNetwork("forget", (ids, sql) => {
      expect(sql).toBe(db.sql);
      seen.push([...ids].sort((a, b) => a - b));
    });
    expect(result).toEqual({ transactions: 3, accounts: 2 });
    expect(seen).toEqual([goneRows.map((row) => row.id).sort((a, b) => a - b)]);
    expect(await ledger.transactionsById(goneRows.map((row) => row.id))).toEqual([]);
    expect(db.sqlite.prepare("SELECT COUNT(*) AS n FROM transaction_signatures WHERE tx_hash = ?").get(hash("51"))).toEqual({ n: 0 });
    expect(await ledger.findAccount(gone)).toBeUndefined();
    expect(keptAccount?.nextNonce).toBe(1);
    expect(await ledger.findAccount(kept)).toEqual(keptAccount);
    expect(await signatureStates(keptRows[0].id)).toEqual([[hash("52"), "pending", null]]);
    expect(await ledger.forgetNetwork("forget", () => undefined)).toEqual({ transactions: 0, accounts: 0 });
  });
});
