/**
 * Shared pieces of the fault-injection suite (test/faults): how many trials to run, killing the
 * CLI at chosen or random moments, and the invariants checked after every trial.
 *
 * `npm test` runs a short version; `STO_FAULT_TRIALS=200 npm run test:faults` the long one, and
 * `STO_FAULT_SEED=<n>` replays a run (each test prints the seed it used when it fails).
 */
import Database from "better-sqlite3";
import type { JsonRpcProvider } from "ethers";
import { expect } from "vitest";
import { spawnSto, type RunOptions, type StoResult } from "./cli";
import type { ProxyRequest, RequestPhase, RpcProxy } from "./rpc-proxy";

/** Trials per fault test: the short count in `npm test`, STO_FAULT_TRIALS when set. */
export function trialCount(short: number): number {
  const configured = process.env.STO_FAULT_TRIALS;
  if (!configured) return short;
  const count = Number(configured);
  if (!Number.isSafeInteger(count) || count < 1) throw new Error(`STO_FAULT_TRIALS=${configured} is not a positive whole number`);
  return count;
}

/**
 * The seed of this run: STO_FAULT_SEED to replay one, otherwise a fresh one. Printed before the
 * trials start, so that a run that hangs or times out (and never reaches its failure message) can
 * still be replayed.
 */
export function faultSeed(name: string): number {
  const configured = process.env.STO_FAULT_SEED;
  if (configured !== undefined && !/^\d+$/.test(configured)) throw new Error(`STO_FAULT_SEED: "${configured}" is not a whole number`);
  const seed = configured !== undefined ? Number(configured) >>> 0 : Math.floor(Math.random() * 2 ** 31);
  console.log(`${name}: seed ${seed} (replay with STO_FAULT_SEED=${seed})`);
  return seed;
}

/**
 * Fails when no run of the trials was killed: fault trials in which no fault happened prove
 * nothing. `log` holds one line per killed-or-not run, ending in "SIGKILL" when the kill landed.
 */
export function expectKillsLanded(log: readonly string[]): number {
  const killed = log.filter((line) => line.endsWith("SIGKILL")).length;
  expect(killed, "no run was killed: the trials tested no fault").toBeGreaterThan(0);
  return killed;
}

/** Environment of every CLI run in the fault tests: short timeouts, so that dropped requests cost seconds. */
export const FAULT_ENV = { STO_RPC_TIMEOUT: "1.5", STO_RPC_ATTEMPTS: "12" };

/** How a killed run is killed. */
export type KillPlan =
  /** After a delay from the start of the process. */
  | { kind: "after-ms"; ms: number }
  /**
   * When the proxy sees the `index`-th call of `method` ("*": of any method) at `phase`, alone or
   * inside a batch (killed at a call's "received", the node gets the batch only up to that call).
   */
  | { kind: "on-request"; method: string; index: number; phase: RequestPhase }
  /** At a fault point inside sto (STO_FAULT_INJECTION). */
  | { kind: "fault-point"; setting: string };

export function describeKill(plan: KillPlan): string {
  if (plan.kind === "after-ms") return `SIGKILL after ${plan.ms} ms`;
  if (plan.kind === "on-request") return `SIGKILL when the node ${plan.phase === "received" ? "receives" : "has answered"} ${plan.method} #${plan.index}`;
  return `STO_FAULT_INJECTION=${plan.setting}`;
}

/**
 * Runs the CLI and kills it with SIGKILL according to `plan` (a run that ends first is fine).
 * Requests of `on-request` plans must go through `proxy`.
 */
export async function runAndKill(args: string[], plan: KillPlan, options: RunOptions & { proxy?: RpcProxy } = {}): Promise<StoResult> {
  const env = { ...FAULT_ENV, ...options.env, ...(plan.kind === "fault-point" ? { STO_FAULT_INJECTION: plan.setting } : {}) };
  const { child, result } = spawnSto(args, { ...options, env });
  const exited = result.then(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  if (plan.kind === "after-ms") timer = setTimeout(() => child.kill("SIGKILL"), plan.ms);
  if (plan.kind === "on-request") {
    if (!options.proxy) throw new Error("an on-request kill needs the proxy");
    // The proxy counts requests per method over its life; this run counts from its own first.
    const before = { ...options.proxy.stats.calls };
    const firstIndex = (method: string): number => before[method] ?? 0;
    let seen = 0;
    options.proxy.setOnRequest(async (request: ProxyRequest, phase: RequestPhase) => {
      // A batch is counted call by call.
      if (request.method.startsWith("batch:")) return;
      if (plan.method !== "*" && request.method !== plan.method) return;
      if (phase !== plan.phase) return;
      const index = plan.method === "*" ? ++seen : request.index - firstIndex(request.method);
      if (index !== plan.index) return;
      child.kill("SIGKILL");
      // The proxy goes on only once the client is gone: the node gets (or answered) the request
      // with nobody left to hear the answer; of a batch, nothing after this call.
      await exited;
      return "cut";
    });
  }
  try {
    const done = await result;
    // The request the kill landed on is still with the proxy (it forwards it once the client is
    // gone): what the node got is settled before the caller looks.
    if (plan.kind === "on-request") await options.proxy?.settled();
    return done;
  } finally {
    if (timer) clearTimeout(timer);
    options.proxy?.setOnRequest(undefined);
  }
}

/**
 * Makes the test's own connection to the chain usable again after it sat idle while a CLI run
 * went on. Node's keep-alive agent reuses a socket the chain's HTTP server may be closing at that
 * very moment (its 5 s keep-alive timeout), and the first request then fails with "socket hang
 * up": a race of the test harness, which sto itself survives by retrying (src/chain/connection.ts).
 */
export async function settle(provider: { getBlockNumber(): Promise<number> }): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await provider.getBlockNumber();
      return;
    } catch (error) {
      if (attempt >= 3 || !/socket hang up|ECONNRESET|EPIPE/i.test(String((error as Error).message))) throw error;
    }
  }
}

/** Runs the CLI (through the fault environment) and requires success. */
export async function runOk(args: string[], options: RunOptions = {}): Promise<StoResult> {
  const { result } = spawnSto(args, { ...options, env: { ...FAULT_ENV, ...options.env } });
  const done = await result;
  if (done.code !== 0) throw new Error(`sto ${args.join(" ")} exited ${done.code} (${done.signal ?? ""}): ${done.stderr}${done.stdout}`);
  return done;
}

/** Every transaction `address` has mined after block `after`, by nonce (more than one hash would be a double). */
export async function minedByAccount(provider: JsonRpcProvider, address: string, after: number): Promise<Map<number, string[]>> {
  const head = await provider.getBlockNumber();
  const byNonce = new Map<number, string[]>();
  for (let number = after + 1; number <= head; number++) {
    const block = await provider.getBlock(number, true);
    for (const tx of block?.prefetchedTransactions ?? []) {
      if (tx.from !== address) continue;
      byNonce.set(tx.nonce, [...(byNonce.get(tx.nonce) ?? []), tx.hash]);
    }
  }
  return byNonce;
}

interface RecordedRow {
  id: number;
  nonce: number;
  status: string;
  tx_hash: string | null;
  external_id: string | null;
}

/** Rows of a database file read directly (read-only), for invariant checks. */
export function readRows<T>(file: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** SQLite's own consistency check of the file. */
export function expectIntactDatabase(file: string): void {
  const db = new Database(file, { readonly: true });
  try {
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    expect(db.pragma("foreign_key_check")).toEqual([]);
  } finally {
    db.close();
  }
}

/**
 * The invariants of the transaction pipeline after a run that finished: every nonce of the
 * account's transactions has exactly one mined transaction on chain, it is the one the database
 * records (status success), nothing else of the account is mined, every row has exactly
 * `versionsPerRow` signed versions (1 when nothing was bumped: a crash never re-signs; "any" after
 * tx-bump) among which its hash, and no external id was paid twice.
 */
export async function expectEveryNonceMinedOnceAsRecorded(
  provider: JsonRpcProvider,
  databaseFile: string,
  address: string,
  afterBlock: number,
  versionsPerRow: number | "any" = 1,
): Promise<void> {
  expectIntactDatabase(databaseFile);
  await expectLedgerMatchesChain(provider, async (sql, ...params) => readRows(databaseFile, sql, ...params), address, afterBlock, versionsPerRow);
}

/** Reads rows of an audit database, SQLite or PostgreSQL (`?` placeholders, portable SQL). */
export type RowReader = <T>(sql: string, ...params: unknown[]) => Promise<T[]>;

/** expectEveryNonceMinedOnceAsRecorded's invariants, on a database of either engine. */
export async function expectLedgerMatchesChain(
  provider: JsonRpcProvider,
  rowsOf: RowReader,
  address: string,
  afterBlock: number,
  versionsPerRow: number | "any" = 1,
): Promise<void> {
  const rows = await rowsOf<RecordedRow>("SELECT id, nonce, status, tx_hash, external_id FROM prepared_transactions WHERE from_address = ? ORDER BY nonce", address);
  const mined = await minedByAccount(provider, address, afterBlock);
  for (const [nonce, hashes] of mined) expect(hashes, `nonce ${nonce} mined more than once`).toHaveLength(1);
  expect([...mined.keys()].sort((a, b) => a - b), "nonces mined").toEqual(rows.map((row) => row.nonce));
  for (const row of rows) {
    expect(row.status, `status of nonce ${row.nonce}`).toBe("success");
    expect(row.tx_hash, `hash of nonce ${row.nonce}`).toBe(mined.get(row.nonce)?.[0]);
  }
  const versions = await rowsOf<{ transaction_id: number; n: number; has_current: number }>(
    "SELECT t.id AS transaction_id, COUNT(s.id) AS n, SUM(CASE WHEN s.tx_hash = t.tx_hash THEN 1 ELSE 0 END) AS has_current FROM prepared_transactions t LEFT JOIN transaction_signatures s ON s.transaction_id = t.id WHERE t.from_address = ? GROUP BY t.id",
    address,
  );
  for (const entry of versions) {
    if (versionsPerRow !== "any") expect(Number(entry.n), `signed versions of transaction ${entry.transaction_id}`).toBe(versionsPerRow);
    expect(Number(entry.has_current), `transaction ${entry.transaction_id}'s hash is one of its versions`).toBe(1);
  }
  const paidTwice = await rowsOf<{ external_id: string; n: number }>(
    "SELECT external_id, COUNT(*) AS n FROM prepared_transactions WHERE external_id IS NOT NULL AND status <> 'failed' GROUP BY external_id HAVING COUNT(*) > 1",
  );
  expect(paidTwice, "external ids paid twice").toEqual([]);
}

/** The fault tests copy prepared databases (test/helpers/e2e.ts). */
export { copyDatabase } from "./e2e";
