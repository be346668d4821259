import { checksumAddress } from "../chain/checksum";
import type { AuditDatabase } from "../db/engine";
import { cursorName, type SqlClient } from "../db/sql";
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
import {
  BY_ADDRESS,
  filterWithin,
  holderStatesSql,
  parseHolderState,
  passesFilter,
  type HolderBalance,
  type HolderFilter,
  type HolderOrder,
} from "./queries";

/**
 * The cap table listed in bounded memory, for a million holders and more: the same table as
 * buildCapTable, entry for entry, but its entries come a page at a time, sorted by the database,
 * and are never held together. The percentages need the whole table first, so the balances are
 * read several times, all in one read-only snapshot of the database (AuditDatabase.read; on
 * PostgreSQL from one cursor, see StateReader):
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
    const reader = new StateReader(sql, moment.token.id, moment.atBlock, entriesOrder(request), request.includeEmpty ?? false);
    const totals = await readTotals(reader, request.includeEmpty ?? false);
    const shares = await shareRule(reader, totals.accountedSupply, moment.accuracy);
    const table = await capTableHead(sql, moment, totals, request.atTime ?? null);
    // Each call lists the entries again (a printer may need two passes: widths, then lines).
    return consume(table, () => listEntries(reader, request, shares));
  });
}

/** The order listEntries reads the holders in (by name: the holders by address, the named ones sorted here). */
function entriesOrder(request: CapTableRequest): HolderOrder {
  const by = request.orderBy ?? "balance";
  return by === "name" ? BY_ADDRESS : { by, direction: request.direction ?? "desc" };
}

/** Rows per page read from the database (and handed to the printer). */
const PAGE_ROWS = 2_000;

/**
 * What a pass needs of the order of its rows: none, the entries' own, or only that the holders
 * of one balance come by ascending address (the tie pass of shareRule: the holders it looks for
 * share a balance).
 */
type PassOrder = HolderOrder | "any" | "equal-balances-by-address";

/** Whether rows in `order` (ties broken by ascending address, as orderClause does) meet `needed`. */
function meets(order: HolderOrder, needed: PassOrder): boolean {
  if (needed === "any") return true;
  if (needed === "equal-balances-by-address") return order.by === "balance" || (order.by === "address" && order.direction === "asc");
  return order.by === needed.by && order.direction === needed.direction;
}

/** The states of every holder a pass may ask for, in a cursor of the read transaction (PostgreSQL). */
interface StatesCursor {
  name: string;
  /** The entries' order (by address for --order-by name). */
  order: HolderOrder;
  /** The widest filter of the passes: every holder with --include-empty, else those of a nonzero balance. */
  filter: HolderFilter;
  declared: boolean;
  /** A pass is reading it (another pass at the same time runs its own query). */
  busy: boolean;
}

/**
 * The holder states of every pass. On SQLite each pass runs the query again (0.8 s for a million
 * holders). On PostgreSQL the query took 3-5 s there, most of it before the first row: the states
 * are found and sorted once, into a SCROLL cursor of the read transaction that each pass rewinds.
 * The server keeps the sorted rows (in temporary files beyond work_mem), so later passes only
 * read them (docs/benchmarks.md, session 15). The cursor holds the rows of the widest filter, in
 * the entries' order, with their times; each pass keeps the rows of its own filter. A pass the
 * cursor cannot serve (another order, or while another pass is reading it) runs its own query.
 */
class StateReader {
  private readonly cursor: StatesCursor | null;

  constructor(
    private readonly sql: SqlClient,
    readonly tokenId: number,
    readonly block: number,
    entriesOrder: HolderOrder,
    includeEmpty: boolean,
  ) {
    this.cursor =
      sql.engine === "postgresql"
        ? { name: cursorName("sto_states"), order: entriesOrder, filter: includeEmpty ? "all" : "nonzero", declared: false, busy: false }
        : null;
  }

  async *pages(filter: HolderFilter, options: { order?: PassOrder; withTime?: boolean; limit?: number } = {}): AsyncGenerator<HolderBalance[]> {
    const order = options.order ?? "any";
    const cursor = this.cursor;
    if (cursor && !cursor.busy && meets(cursor.order, order) && filterWithin(filter, cursor.filter)) {
      cursor.busy = true;
      try {
        yield* this.rewound(cursor, filter, options.limit ?? Number.POSITIVE_INFINITY);
      } finally {
        cursor.busy = false;
      }
      return;
    }
    const text = holderStatesSql(this.sql.engine, {
      filter,
      order: order === "any" ? undefined : order === "equal-balances-by-address" ? BY_ADDRESS : order,
      withTime: options.withTime ?? false,
      limit: options.limit !== undefined,
    });
    const params: unknown[] = [this.block, this.tokenId];
    if (options.limit !== undefined) params.push(options.limit);
    for await (const page of this.sql.columnPages<string>(text, params, PAGE_ROWS)) yield page.map(parseHolderState);
  }

  /** The cursor's rows of `filter` from its first, at most `limit`. */
  private async *rewound(cursor: StatesCursor, filter: HolderFilter, limit: number): AsyncGenerator<HolderBalance[]> {
    if (!cursor.declared) {
      const text = holderStatesSql(this.sql.engine, { filter: cursor.filter, order: cursor.order, withTime: true });
      await this.sql.run(`DECLARE ${cursor.name} SCROLL CURSOR FOR ${text}`, [this.block, this.tokenId]);
      cursor.declared = true;
    } else {
      await this.sql.run(`MOVE ABSOLUTE 0 IN ${cursor.name}`);
    }
    let left = limit;
    const fetch = () => this.sql.column<string>(`FETCH FORWARD ${PAGE_ROWS} FROM ${cursor.name}`);
    let next: Promise<string[]> | null = fetch();
    try {
      while (next) {
        const states: string[] = await next;
        // The next page travels while this one is handled (a million holders: 1 s less of 14).
        next = states.length === PAGE_ROWS ? fetch() : null;
        const page: HolderBalance[] = [];
        for (let index = 0; index < states.length && page.length < left; index++) {
          const row = parseHolderState(states[index]);
          if (passesFilter(filter, row.balance)) page.push(row);
        }
        left -= page.length;
        if (page.length > 0) yield page;
        if (left <= 0) return;
      }
    } finally {
      // A pass that stops early lets its last FETCH end before anything else uses the connection.
      await next?.catch(() => undefined);
    }
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
    outer: for await (const page of reader.pages("positive", { order: "equal-balances-by-address" })) {
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
    for await (const page of reader.pages(filter, { order: BY_ADDRESS, withTime: true })) {
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
  for await (const page of reader.pages(filter, { order: BY_ADDRESS, withTime: true })) {
    const unnamed = page.filter((row) => !isNamed(row.address)).slice(0, left);
    left -= unnamed.length;
    if (unnamed.length > 0) yield unnamed.map(entry);
    if (left <= 0) return;
  }
}
