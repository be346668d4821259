import { checksumAddress } from "../chain/checksum";
import type { AuditDatabase } from "../db/engine";
import type { SqlClient } from "../db/sql";
import {
  capTableHead,
  capTableMoment,
  compareText,
  holderNames,
  type CapTable,
  type CapTableEntry,
  type CapTableRequest,
  type CapTableTotals,
} from "./captable";
import { holderStatesSql, parseHolderState, type HolderBalance, type HolderFilter, type HolderOrder } from "./queries";

/**
 * The cap table listed in bounded memory, for a million holders and more: the same table as
 * buildCapTable, entry for entry, but its entries come a page at a time, sorted by the database,
 * and are never held together. The percentages need the whole table first, so the balances are
 * read several times, all in one read-only snapshot of the database (AuditDatabase.read):
 *
 *   1. the totals (sum of the positive balances, holders, negative balances);
 *   2. each share rounded down, and a histogram of the remainders in 65,536 buckets;
 *   3. the holders of the one bucket where the units still missing to 100% run out, counted by
 *      exact remainder and balance; when several holders share the deciding remainder and balance,
 *   4. the address up to which they get a unit (ties go to the lower address, as in buildCapTable);
 *   5. the entries, in the order asked for, each with its share.
 *
 * What stays in memory: the histogram, the deciding bucket's distinct remainders (a handful for
 * real balances; one per distinct balance in the worst case), the negative balances (evidence of
 * missing events) and, for --order-by name, the named holders of the identity file.
 */
export async function streamCapTable<T>(
  db: AuditDatabase,
  request: CapTableRequest,
  consume: (table: CapTable, entries: () => AsyncIterable<CapTableEntry[]>) => Promise<T>,
): Promise<T> {
  return db.read(async (sql) => {
    const moment = await capTableMoment(sql, request);
    const reader = new StateReader(sql, moment.token.id, moment.atBlock);
    const totals = await readTotals(reader, request.includeEmpty ?? false);
    const shares = await shareRule(reader, totals.accountedSupply, moment.accuracy);
    const table = await capTableHead(sql, moment, totals, request.atTime ?? null);
    // Each call lists the entries again (a printer may need two passes: widths, then lines).
    return consume(table, () => listEntries(reader, request, shares));
  });
}

/** Rows per page read from the database (and handed to the printer). */
const PAGE_ROWS = 2_000;

class StateReader {
  constructor(
    private readonly sql: SqlClient,
    readonly tokenId: number,
    readonly block: number,
  ) {}

  async *pages(filter: HolderFilter, options: { order?: HolderOrder; withTime?: boolean; limit?: number } = {}): AsyncGenerator<HolderBalance[]> {
    const text = holderStatesSql(this.sql.engine, {
      filter,
      order: options.order,
      withTime: options.withTime ?? false,
      limit: options.limit !== undefined,
    });
    const params: unknown[] = [this.block, this.tokenId];
    if (options.limit !== undefined) params.push(options.limit);
    for await (const page of this.sql.columnPages<string>(text, params, PAGE_ROWS)) yield page.map(parseHolderState);
  }
}

async function readTotals(reader: StateReader, includeEmpty: boolean): Promise<CapTableTotals> {
  const totals: CapTableTotals = { accountedSupply: 0n, eventSupply: 0n, holderCount: 0, entryCount: 0, negatives: [] };
  for await (const page of reader.pages(includeEmpty ? "all" : "nonzero")) {
    for (const row of page) {
      totals.eventSupply += row.balance;
      if (row.balance > 0n) {
        totals.accountedSupply += row.balance;
        totals.holderCount += 1;
      }
      if (row.balance >= 0n) totals.entryCount += 1;
      else totals.negatives.push({ address: row.address, balance: row.balance });
    }
  }
  return totals;
}

const BUCKETS = 65_536;

/**
 * Which holders get the units still missing to 100% after rounding every share down (the largest
 * remainder method, as largestRemainderPercentages, with ties of remainder and balance going to
 * the lower address): those whose (remainder, balance, address) ranks above the cut.
 */
interface ShareRule {
  /** 100% in units of the accuracy. */
  whole: bigint;
  total: bigint;
  /** Buckets above this one all get a unit, buckets below none; -1: nobody gets one. */
  bucket: number;
  /** In the cut bucket: keys above this (remainder, balance) get a unit. */
  remainder: bigint;
  balance: bigint;
  /** Holders of exactly that remainder and balance get a unit up to this address (inclusive); null: none of them. */
  lastAddress: string | null;
}

function bucketOf(remainder: bigint, total: bigint): number {
  return Number((remainder * BigInt(BUCKETS)) / total);
}

async function shareRule(reader: StateReader, total: bigint, accuracy: number): Promise<ShareRule> {
  const whole = 100n * 10n ** BigInt(accuracy);
  const none: ShareRule = { whole, total, bucket: -1, remainder: 0n, balance: 0n, lastAddress: null };
  if (total <= 0n) return none;
  const histogram = new Float64Array(BUCKETS);
  let missing = whole;
  for await (const page of reader.pages("positive")) {
    for (const row of page) {
      const scaled = row.balance * whole;
      missing -= scaled / total;
      histogram[bucketOf(scaled % total, total)] += 1;
    }
  }
  if (missing <= 0n) return none;
  // The bucket where the missing units run out, and how many the buckets above it take.
  let above = 0;
  let bucket = BUCKETS - 1;
  for (; bucket >= 0; bucket--) {
    if (BigInt(above + histogram[bucket]) >= missing) break;
    above += histogram[bucket];
  }
  let needed = missing - BigInt(above);
  // That bucket's holders by exact (remainder, balance), highest first.
  const keys = new Map<string, { remainder: bigint; balance: bigint; count: number }>();
  for await (const page of reader.pages("positive")) {
    for (const row of page) {
      const remainder = (row.balance * whole) % total;
      if (bucketOf(remainder, total) !== bucket) continue;
      const id = `${remainder} ${row.balance}`;
      const key = keys.get(id);
      if (key) key.count += 1;
      else keys.set(id, { remainder, balance: row.balance, count: 1 });
    }
  }
  const ranked = [...keys.values()].sort((a, b) =>
    a.remainder !== b.remainder ? (b.remainder > a.remainder ? 1 : -1) : a.balance !== b.balance ? (b.balance > a.balance ? 1 : -1) : 0,
  );
  for (const key of ranked) {
    if (BigInt(key.count) < needed) {
      needed -= BigInt(key.count);
      continue;
    }
    const rule: ShareRule = { whole, total, bucket, remainder: key.remainder, balance: key.balance, lastAddress: null };
    // Holders with exactly this key: the first `needed` by address get a unit.
    let seen = 0n;
    outer: for await (const page of reader.pages("positive", { order: { by: "address", direction: "asc" } })) {
      for (const row of page) {
        if (row.balance !== key.balance || (row.balance * whole) % total !== key.remainder) continue;
        seen += 1n;
        if (seen === needed) {
          rule.lastAddress = row.address;
          break outer;
        }
      }
    }
    return rule;
  }
  throw new Error("largest remainder: the histogram and the holders disagree");
}

/** A holder's share in units of the accuracy under `rule`. */
function shareUnits(rule: ShareRule, balance: bigint, address: string): bigint {
  if (balance <= 0n || rule.total <= 0n) return 0n;
  const scaled = balance * rule.whole;
  const floor = scaled / rule.total;
  if (rule.bucket < 0) return floor;
  const remainder = scaled % rule.total;
  const bucket = bucketOf(remainder, rule.total);
  if (bucket !== rule.bucket) return bucket > rule.bucket ? floor + 1n : floor;
  if (remainder !== rule.remainder) return remainder > rule.remainder ? floor + 1n : floor;
  if (balance !== rule.balance) return balance > rule.balance ? floor + 1n : floor;
  return rule.lastAddress !== null && compareText(address, rule.lastAddress) <= 0 ? floor + 1n : floor;
}

async function* listEntries(reader: StateReader, request: CapTableRequest, rule: ShareRule): AsyncGenerator<CapTableEntry[]> {
  const filter: HolderFilter = request.includeEmpty ? "nonnegative" : "positive";
  const nameOf = holderNames(request);
  const entry = (row: HolderBalance): CapTableEntry => ({
    name: nameOf(row.address),
    address: checksumAddress(row.address),
    balance: row.balance,
    percentUnits: shareUnits(rule, row.balance, row.address),
    lastTransferBlock: row.lastChangeBlock,
    lastTransferTime: row.lastChangeTime,
    corrected: row.corrected,
  });
  const orderBy = request.orderBy ?? "balance";
  const direction = request.direction ?? "desc";
  let left = request.maxEntries ?? Number.POSITIVE_INFINITY;
  if (orderBy !== "name") {
    const pages = reader.pages(filter, {
      order: { by: orderBy, direction },
      withTime: true,
      limit: request.maxEntries,
    });
    for await (const page of pages) yield page.map(entry);
    return;
  }
  // By name: the named holders (those of the identity file) first, sorted here, then the others by address.
  const named: CapTableEntry[] = [];
  const isNamed = (address: string) => nameOf(address) !== null;
  if ((request.identities && request.identities.size > 0) || request.issuer !== undefined) {
    for await (const page of reader.pages(filter, { order: { by: "address", direction: "asc" }, withTime: true })) {
      for (const row of page) if (isNamed(row.address)) named.push(entry(row));
    }
  }
  const sign = direction === "asc" ? 1 : -1;
  named.sort(
    (a, b) =>
      sign * (a.name as string).localeCompare(b.name as string, "en", { sensitivity: "base", numeric: true }) ||
      compareText(a.address.toLowerCase(), b.address.toLowerCase()),
  );
  for (let start = 0; start < named.length && left > 0; start += PAGE_ROWS) {
    const page = named.slice(start, start + Math.min(PAGE_ROWS, left));
    left -= page.length;
    yield page;
  }
  if (left <= 0) return;
  for await (const page of reader.pages(filter, { order: { by: "address", direction: "asc" }, withTime: true })) {
    const unnamed = page.filter((row) => !isNamed(row.address)).slice(0, left);
    left -= unnamed.length;
    if (unnamed.length > 0) yield unnamed.map(entry);
    if (left <= 0) return;
  }
}
