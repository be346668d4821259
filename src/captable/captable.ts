import { checksumAddress } from "../chain/checksum";
import { StoError } from "../errors";
import { InputError } from "../input/fields";
import type { AuditDatabase } from "../db/engine";
import type { SqlClient } from "../db/sql";
import { findScannedTokenIn } from "../scan/store";
import { exactAmount, largestRemainderPercentages } from "./amounts";
import type { Identity } from "./identity-file";
import type { ScannedToken, ScanVerification } from "../db/schema";
import { balancesAtBlock, blockTime, lastBlockAtOrBefore, lastTransferAtOrBefore, verificationsAround } from "./queries";

export const ORDER_BY = ["balance", "name", "updated", "address"] as const;
export type OrderBy = (typeof ORDER_BY)[number];
export const ORDER_DIRECTIONS = ["asc", "desc"] as const;
export type OrderDirection = (typeof ORDER_DIRECTIONS)[number];

/** The name of the issuer's row when no identity file names it. */
export const ISSUER_TREASURY = "Issuer (treasury)";

/** A holder's name in the table: from the identity file, else ISSUER_TREASURY for the issuer, else none. */
export function holderNames(request: Pick<CapTableRequest, "identities" | "issuer">): (address: string) => string | null {
  const issuer = request.issuer?.toLowerCase();
  return (address) => request.identities?.get(address)?.name ?? (address === issuer ? ISSUER_TREASURY : null);
}

/** One holder's compliance state, from the token's `holding(account)` view. */
export interface HolderCompliance {
  /** The whole address is frozen (FREEZER_ROLE): it can neither send nor receive. */
  addressFrozen: boolean;
  /** Part of the balance frozen (base units). */
  frozenTokens: bigint;
  /** Part of the balance under lock-ups not yet released at the reading's block time (base units). */
  locked: bigint;
  /** Earliest release time of the remaining lock-ups (unix seconds); null when none. */
  nextRelease: number | null;
  /** The balance as the contract reports it at the reading's block (base units). */
  balance: bigint;
}

/** Where the compliance columns of a cap table come from. */
export interface CapTableCompliance {
  /** The block whose state the node was asked for. */
  block: number;
  blockTime: number | null;
  /**
   * True when the state is that of the cap table's own block; false when the node no longer keeps
   * state that old and the current (latest) block was read instead.
   */
  atCapTableBlock: boolean;
  /** Checksummed address (as in the entries) → state; missing where the view did not answer. */
  holders: Map<string, HolderCompliance>;
}

export interface CapTableRequest {
  chainId: number;
  /** Checksummed. */
  tokenAddress: string;
  /** Cap table at the end of this block; default the last scanned block. */
  atBlock?: number;
  /** Cap table after every block mined at or before this time (unix seconds). */
  atTime?: number;
  /**
   * When the moment of atTime begins (the start of the day of a date alone; default atTime): a
   * moment that has not begun by the later of `now` and the last scanned block is refused, as a
   * cap table of the future would be today's under a false date.
   */
  atTimeBegins?: number;
  /** Unix seconds; default the clock. */
  now?: number;
  identities?: Map<string, Identity>;
  /**
   * The account that deployed the token from this database (its treasury holds the undistributed
   * shares): named ISSUER_TREASURY in the table unless the identity file names it.
   */
  issuer?: string;
  orderBy?: OrderBy;
  direction?: OrderDirection;
  /** Entries listed, after sorting; percentages are still of all holders. */
  maxEntries?: number;
  includeEmpty?: boolean;
  /** Fraction digits of the percentages (and of balances in the table). */
  accuracy?: number;
}

export interface CapTableEntry {
  /** From the identity file, or ISSUER_TREASURY for the token's deployer; null otherwise. */
  name: string | null;
  /** Checksummed. */
  address: string;
  /** Base units. */
  balance: bigint;
  /**
   * Share of the accounted supply in units of 10^-accuracy percent; sums to exactly 100% over all
   * holders. Null for a negative balance (see CapTable.negativeBalances).
   */
  percentUnits: bigint | null;
  lastTransferBlock: number;
  /** Unix seconds. */
  lastTransferTime: number | null;
  /** The balance was set by a correction (token-scan --reconcile) at lastTransferBlock, not by a transfer. */
  corrected: boolean;
}

/** Whether a check against the chain backs the cap table (see scan/verify.ts and docs/cap-table.md). */
export interface CapTableVerification {
  verified: boolean;
  /** Why the table is not verified, in words; null when it is. */
  reason: string | null;
  /** The check that backs the table, or that found the disagreement. */
  checkBlock: number | null;
  checkStatus: ScanVerification["status"] | null;
  holdersChecked: number | null;
  holdersDiffering: number | null;
  /** The largest differences the check found (balances in base units). */
  differences: { address: string; scanned: bigint; chain: bigint }[];
  cause: string | null;
}

/** An address whose balance by the Transfer events is below zero: events are missing. */
export interface MissingEvents {
  /** Checksummed. */
  address: string;
  /** How much more the events show it sending than receiving (base units, positive). */
  shortfall: bigint;
}

export interface CapTable {
  token: { address: string; name: string | null; symbol: string | null; decimals: number };
  /** True when the contract did not report decimals and 0 is assumed. */
  decimalsUnknown: boolean;
  accuracy: number;
  /** The cap table is the state at the end of this block. */
  atBlock: number;
  atBlockTime: number | null;
  /** The time asked for with atTime. */
  atTime: number | null;
  /**
   * The contract's totalSupply() when it was read at atBlock (end of the last scan), otherwise
   * issued minus burned according to the Transfer events.
   */
  totalSupply: bigint;
  totalSupplySource: "contract" | "events";
  /** Sum of the positive balances: what the listed holders hold together, the base of the percentages. */
  accountedSupply: bigint;
  /** Addresses with a positive balance. */
  holderCount: number;
  /** Addresses whose balance by the Transfer events is below zero (tokens that move balances without events). */
  negativeBalances: number;
  /** Those addresses: never listed with a balance, reported as evidence of missing events. */
  missingEvents: MissingEvents[];
  verification: CapTableVerification;
  /** Wall-clock time of the last scan that wrote to the database (ISO). */
  databaseUpdatedAt: string;
  scannedFromBlock: number;
  scannedToBlock: number;
  scannedToBlockTime: number | null;
  lastTransferBlock: number | null;
  lastTransferTime: number | null;
  /** Entries before --max-entries cut the list. */
  totalEntries: number;
  entries: CapTableEntry[];
  /** Things the reader should know about these numbers. */
  warnings: string[];
  /** Locked and frozen amounts per listed holder, read from the chain (cap-table --compliance); null when not read. */
  compliance: CapTableCompliance | null;
}

/** What a cap table's moment resolves to: the token, the block, and the warnings about the moment. */
export interface CapTableMoment {
  token: ScannedToken;
  atBlock: number;
  accuracy: number;
  scannedToTime: number | null;
  warnings: string[];
}

/** What the balances at the block add up to, read before any entry is listed. */
export interface CapTableTotals {
  /** Sum of the positive balances. */
  accountedSupply: bigint;
  /** Sum of every balance, negative ones included (issued minus burned by the events). */
  eventSupply: bigint;
  holderCount: number;
  /** Holders listed: positive balances, and zero ones with includeEmpty. */
  entryCount: number;
  /** Negative balances, each as evidence of missing events. */
  negatives: { address: string; balance: bigint }[];
}

/**
 * The cap table of a scanned token, now or at a past block or time, from the local database alone:
 * no node is needed. Balances at a block are one indexed query (see balancesAtBlock), on either
 * engine; the whole table is held in memory (streamCapTable in stream.ts lists it in bounded memory).
 */
export async function buildCapTable(db: AuditDatabase, request: CapTableRequest): Promise<CapTable> {
  const sql = db.sql;
  const moment = await capTableMoment(sql, request);
  const balances = await balancesAtBlock(sql, moment.token.id, moment.atBlock, request.includeEmpty ?? false);
  // The positive balances, in address order: the base of the percentages.
  const positive: bigint[] = [];
  const totals: CapTableTotals = { accountedSupply: 0n, eventSupply: 0n, holderCount: 0, entryCount: 0, negatives: [] };
  for (let row = 0; row < balances.length; row++) {
    const balance = balances.balance(row);
    totals.eventSupply += balance;
    const sign = balances.sign(row);
    if (sign > 0) {
      totals.accountedSupply += balance;
      positive.push(balance);
    }
    if (sign >= 0) totals.entryCount += 1;
    else totals.negatives.push({ address: balances.address(row), balance });
  }
  totals.holderCount = positive.length;
  // Ties of remainder and balance go to the lower address: the rows come ordered by address.
  const shares = largestRemainderPercentages(positive, moment.accuracy);
  const table = await capTableHead(sql, moment, totals, request.atTime ?? null);

  const nameOf = holderNames(request);
  const entries: CapTableEntry[] = [];
  for (let row = 0, share = 0; row < balances.length; row++) {
    const sign = balances.sign(row);
    if (sign < 0) continue;
    const address = balances.address(row);
    entries.push({
      name: nameOf(address),
      address,
      balance: sign > 0 ? positive[share] : 0n,
      percentUnits: sign > 0 ? shares[share++] : 0n,
      lastTransferBlock: balances.lastChangeBlock(row),
      lastTransferTime: balances.lastChangeTime(row),
      corrected: balances.corrected(row),
    });
  }
  sortEntries(entries, request.orderBy ?? "balance", request.direction ?? "desc");
  // Checksumming costs a keccak per address: only for the entries shown (in place: the entries are
  // this function's own, and copying 10,000 of them showed up in the garbage collector's time).
  const listed = request.maxEntries === undefined ? entries : entries.slice(0, request.maxEntries);
  for (const entry of listed) entry.address = checksumAddress(entry.address);
  table.entries = listed;
  return table;
}

/** The token and the block of the cap table asked for, refused when the database cannot tell it. */
export async function capTableMoment(sql: SqlClient, request: CapTableRequest): Promise<CapTableMoment> {
  const token = await findScannedTokenIn(sql, request.chainId, request.tokenAddress);
  if (!token || token.scannedToBlock < token.startBlock) {
    throw new StoError(`token ${request.tokenAddress} has not been scanned on this network: run token-scan first`);
  }
  const accuracy = request.accuracy ?? 2;
  const warnings: string[] = [];
  const range = { from: token.startBlock, to: token.scannedToBlock };
  const scannedToTime = (await blockTime(sql, token.id, token.scannedToBlock)) ?? null;
  const describeRange = `the database holds blocks ${range.from}-${range.to} of this token`;

  let atBlock = token.scannedToBlock;
  if (request.atBlock !== undefined) {
    if (request.atBlock > range.to) {
      throw new StoError(`block ${request.atBlock} is not scanned yet (${describeRange}): run token-scan first`);
    }
    if (request.atBlock < range.from) {
      throw new StoError(
        token.startsAtCreation
          ? `block ${request.atBlock} is before the token was created (block ${range.from})`
          : (name) => `block ${request.atBlock} is before the first scanned block (${describeRange}): scan with an earlier ${name("token-scan:startBlock")}`,
      );
    }
    atBlock = request.atBlock;
  }
  if (request.atTime !== undefined) {
    const latest = Math.max(request.now ?? Math.floor(Date.now() / 1000), scannedToTime ?? 0);
    if ((request.atTimeBegins ?? request.atTime) > latest) {
      throw new InputError(
        "atTime",
        `${isoTime(request.atTime)} is in the future (the database is scanned to block ${range.to}${scannedToTime === null ? "" : `, ${isoTime(scannedToTime)}`}): give a past moment, or leave the date out for the latest scanned state`,
      );
    }
    const found = await lastBlockAtOrBefore(sql, token.id, request.atTime, range);
    if (found === undefined) {
      const startTime = await blockTime(sql, token.id, range.from);
      const when = startTime === undefined ? "" : `, ${isoTime(startTime)}`;
      throw new StoError(
        token.startsAtCreation
          ? `${isoTime(request.atTime)} is before the token was created (block ${range.from}${when})`
          : (name) => `${isoTime(request.atTime as number)} is before the first scanned block ${range.from}${when}: scan with an earlier ${name("token-scan:startBlock")}`,
      );
    }
    if (scannedToTime !== null && request.atTime > scannedToTime) {
      warnings.push(
        `the database is scanned to block ${range.to} (${isoTime(scannedToTime)}); transfers after it are not included: run token-scan to include them`,
      );
    }
    atBlock = found;
  }
  return { token, atBlock, accuracy, scannedToTime, warnings };
}

/** Everything of the cap table but its entries (left empty), from its moment and its totals. */
export async function capTableHead(sql: SqlClient, moment: CapTableMoment, totals: CapTableTotals, atTime: number | null): Promise<CapTable> {
  const { token, atBlock, accuracy } = moment;
  const warnings = [...moment.warnings];
  const decimals = token.decimals ?? 0;
  const { accountedSupply, eventSupply } = totals;
  const negativeBalances = totals.negatives.length;
  const fromContract = token.totalSupply !== null && token.totalSupplyBlock === atBlock;
  const totalSupply = fromContract ? BigInt(token.totalSupply as string) : eventSupply;
  if (fromContract && totalSupply !== accountedSupply) {
    warnings.push(
      `the contract reports a total supply of ${exactAmount(totalSupply, decimals)} but the Transfer events account for ${exactAmount(accountedSupply, decimals)}: ` +
        (token.startsAtCreation
          ? "the token changes balances without Transfer events (rebasing, fees or interest)"
          : "the scan did not start at the token's creation, or the token changes balances without Transfer events"),
    );
  }
  const missingEvents: MissingEvents[] = [...totals.negatives]
    .sort((a, b) => (a.balance === b.balance ? compareText(a.address, b.address) : a.balance < b.balance ? -1 : 1))
    .map((row) => ({ address: checksumAddress(row.address), shortfall: -row.balance }));
  if (negativeBalances > 0) {
    const shown = missingEvents
      .slice(0, 3)
      .map((item) => `${item.address} sent ${exactAmount(item.shortfall, decimals)} more than it received`)
      .join(", ");
    warnings.push(
      `events are missing: by the Transfer events ${negativeBalances} address(es) sent more than they received (${shown}${negativeBalances > 3 ? ", …" : ""}); ` +
        "a balance below zero is not a balance, so they are not listed: the token mints or credits without Transfer events",
    );
  }
  const verification = await verificationOf(sql, token.id, atBlock);
  if (!verification.verified) warnings.push(`unverified: ${verification.reason}`);
  if (token.decimals === null) warnings.push("the token does not report decimals: amounts are shown in base units");
  const lastTransfer = await lastTransferAtOrBefore(sql, token.id, atBlock);

  return {
    token: { address: token.address, name: token.name, symbol: token.symbol, decimals },
    decimalsUnknown: token.decimals === null,
    accuracy,
    atBlock,
    atBlockTime: (await blockTime(sql, token.id, atBlock)) ?? null,
    atTime,
    totalSupply,
    totalSupplySource: fromContract ? "contract" : "events",
    accountedSupply,
    holderCount: totals.holderCount,
    negativeBalances,
    missingEvents,
    verification,
    databaseUpdatedAt: token.updatedAt,
    scannedFromBlock: token.startBlock,
    scannedToBlock: token.scannedToBlock,
    scannedToBlockTime: moment.scannedToTime,
    lastTransferBlock: lastTransfer?.block ?? null,
    lastTransferTime: lastTransfer?.time ?? null,
    totalEntries: totals.entryCount,
    entries: [],
    warnings,
    compliance: null,
  };
}

/**
 * Whether a check against the chain backs the cap table at `block`. The first check at or after the
 * block decides: one that matched backs every block up to it (the events in between are complete,
 * or the balances would differ there), unless a disagreement before the block was never
 * reconciled; a reconciliation backs its own block only (the events before it are known to be
 * incomplete), whatever came before; a mismatch or a partial check backs nothing before it.
 */
async function verificationOf(sql: SqlClient, tokenId: number, block: number): Promise<CapTableVerification> {
  const { next, previous } = await verificationsAround(sql, tokenId, block);
  const unverified = (reason: string, check?: ScanVerification): CapTableVerification => ({
    verified: false,
    reason,
    checkBlock: check?.blockNumber ?? null,
    checkStatus: check?.status ?? null,
    holdersChecked: check?.holdersChecked ?? null,
    holdersDiffering: check?.holdersDiffering ?? null,
    differences: check ? parseDifferences(check.differences) : [],
    cause: check?.cause ?? null,
  });
  if (!next) {
    return unverified(
      previous
        ? `no check against the chain at or after block ${block} (the last was at block ${previous.blockNumber}): run token-scan`
        : "the scan was never checked against the chain (scanned by an older sto): run token-scan",
    );
  }
  if (next.status === "mismatch") {
    return unverified(
      `the chain disagreed at block ${next.blockNumber}: ${next.holdersDiffering} holder(s) differ${next.cause ? ` (${next.cause})` : ""}; token-scan --reconcile records corrections`,
      next,
    );
  }
  if (next.status === "partial") {
    return unverified(`the check at block ${next.blockNumber} read only ${next.holdersChecked} holders' balanceOf`, next);
  }
  if (next.status === "reconciled" && next.blockNumber !== block) {
    return unverified(
      `the chain disagreed at block ${next.blockNumber} and balances were corrected there (token-scan --reconcile): before that block the Transfer events do not tell the whole story`,
      next,
    );
  }
  if (next.status === "reconciled") return backedBy(next);
  if (previous && previous.status === "mismatch") {
    return unverified(`the chain disagreed at block ${previous.blockNumber}, before this block, and that was not reconciled`, previous);
  }
  return backedBy(next);
}

function backedBy(check: ScanVerification): CapTableVerification {
  return {
    verified: true,
    reason: null,
    checkBlock: check.blockNumber,
    checkStatus: check.status,
    holdersChecked: check.holdersChecked,
    holdersDiffering: check.holdersDiffering,
    differences: [],
    cause: null,
  };
}

function parseDifferences(text: string): CapTableVerification["differences"] {
  const items = JSON.parse(text) as { address: string; scanned: string; chain: string }[];
  return items.map((item) => ({ address: checksumAddress(item.address), scanned: BigInt(item.scanned), chain: BigInt(item.chain) }));
}

/**
 * Sorts in place (addresses must be lowercase). Ties (and names: holders without a name always come last) fall back to the
 * address, so the order is the same on every run.
 */
export function sortEntries(entries: CapTableEntry[], orderBy: OrderBy, direction: OrderDirection): void {
  const sign = direction === "asc" ? 1 : -1;
  const byAddress = (a: CapTableEntry, b: CapTableEntry) => compareText(a.address, b.address);
  const compare: Record<OrderBy, (a: CapTableEntry, b: CapTableEntry) => number> = {
    balance: (a, b) => sign * (a.balance === b.balance ? 0 : a.balance > b.balance ? 1 : -1) || byAddress(a, b),
    updated: (a, b) => sign * (a.lastTransferBlock - b.lastTransferBlock) || byAddress(a, b),
    address: (a, b) => sign * byAddress(a, b),
    name: (a, b) => {
      if (a.name === null || b.name === null) {
        return (a.name === null ? 1 : 0) - (b.name === null ? 1 : 0) || byAddress(a, b);
      }
      return sign * a.name.localeCompare(b.name, "en", { sensitivity: "base", numeric: true }) || byAddress(a, b);
    },
  };
  entries.sort(compare[orderBy]);
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isoTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(".000Z", "Z");
}
