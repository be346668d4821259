import { BalanceReader, READS_IN_FLIGHT, type BalanceMethod } from "../chain/balances";
import type { NodeClient } from "../chain/rpc";
import type { ScanVerification } from "../db/schema";
import type { BalanceCorrection, ScanStore } from "./store";

/** Holders whose balanceOf one scan reads at most, unless --verify-limit says otherwise. */
export const DEFAULT_VERIFY_LIMIT = 100_000;
/** Differences kept with a check (and shown): the largest ones. */
export const DIFFERENCES_SHOWN = 20;

export interface HolderDifference {
  /** Lowercase hex. */
  address: string;
  /** By the Transfer events (and earlier corrections). */
  scanned: bigint;
  /** balanceOf at the block. */
  chain: bigint;
}

export interface Verification {
  id: number;
  block: number;
  status: ScanVerification["status"];
  /** totalSupply() at the block; null when the token has none. */
  totalSupply: bigint | null;
  /** Sum of the scanned balances at the block, before any correction. */
  scannedSupply: bigint;
  /** Holders whose balance the events changed in this scan. */
  holdersChanged: number;
  /** Holders known to the database (every address a Transfer event named). */
  holdersKnown: number;
  holdersChecked: number;
  /** Holders whose balanceOf could not be read (the call failed). */
  holdersUnreadable: number;
  holdersDiffering: number;
  /** Scanned balances below zero at the block: evidence of missing events. */
  negativeBalances: number;
  /** The largest differences, largest first. */
  differences: HolderDifference[];
  /** The likely cause in words; null when everything agrees. */
  cause: string | null;
  /** Corrections recorded (token-scan --reconcile). */
  corrections: number;
  /** After the corrections: totalSupply minus the corrected sum (tokens held by addresses no event names); null when none is left or unknown. */
  unexplained: bigint | null;
  method: BalanceMethod;
  requests: number;
  elapsedMs: number;
}

export interface VerifyRequest {
  node: NodeClient;
  store: ScanStore;
  /** Checksummed. */
  tokenAddress: string;
  /** The end of the scanned range. */
  block: number;
  /** totalSupply() at the block, already read; null when the token has none. */
  totalSupply: bigint | null;
  /** Lowercase addresses whose balance this scan changed. */
  changed: ReadonlySet<string>;
  startsAtCreation: boolean;
  /** Holders read at most. */
  limit: number;
  /** Record one correction per differing holder so that the database equals balanceOf at the block. */
  reconcile: boolean;
  /** Balances at the block already read while the scan ran (BalancePrefetch). */
  prefetched?: BalancePrefetch;
}

/** balanceOf reads per round while the scan runs, two requests in flight: the node always has some queued beside eth_getLogs. */
const PREFETCH_SLICE = 500;
const PREFETCH_PARALLEL = 2;

/**
 * Reads balanceOf at the block where the scan will end, of the holders each chunk changed, while
 * the scan goes on: the node answers them while sto decodes and writes chunks, so that most of the
 * check's reads cost no time of their own. Two requests in flight, at most `limit` holders; a
 * failure here only leaves the holders to the check at the end, which reports it.
 */
export class BalancePrefetch {
  readonly reader: BalanceReader;
  readonly balances = new Map<string, bigint | null>();
  private readonly queued = new Set<string>();
  private readonly queue: string[] = [];
  private running: Promise<void> | undefined;
  private stopped = false;
  /** A read failed: the check at the end reads what is left with a reader of its own. */
  failed = false;

  constructor(
    node: NodeClient,
    tokenAddress: string,
    readonly block: number,
    private readonly limit: number,
  ) {
    this.reader = new BalanceReader(node, tokenAddress, block, PREFETCH_PARALLEL);
  }

  offer(addresses: Iterable<string>): void {
    for (const address of addresses) {
      if (this.queued.size >= this.limit) break;
      if (this.queued.has(address)) continue;
      this.queued.add(address);
      this.queue.push(address);
    }
    this.pump();
  }

  /** Stops reading and waits for the request in flight: what was read is in `balances`. */
  async stop(): Promise<void> {
    this.stopped = true;
    while (this.running) await this.running;
  }

  private pump(): void {
    if (this.running || this.stopped || this.queue.length === 0) return;
    const slice = this.queue.splice(0, PREFETCH_SLICE);
    this.running = this.reader
      .read(slice)
      .then((read) => {
        for (const [address, balance] of read) this.balances.set(address, balance);
      })
      .catch(() => {
        this.stopped = true;
        this.failed = true;
      })
      .finally(() => {
        this.running = undefined;
        this.pump();
      });
  }
}

/**
 * Checks the scanned balances against the chain at the block where the scan ended: their sum
 * against totalSupply(), and balanceOf of every holder the scan changed. When anything disagrees,
 * when an earlier check did, on the first check of a token and with --reconcile, every known holder
 * is read (within the limit), so that the differences are found wherever they are.
 */
export async function verifyScan(request: VerifyRequest): Promise<Verification> {
  const started = Date.now();
  const { node, store, block, totalSupply, limit } = request;
  const previous = await store.latestVerification();
  // Every holder's scanned balance: their sum is what totalSupply() is compared with.
  const all = await store.balancesAt(block);
  const totals = { supply: 0n, holders: all.size, negative: 0 };
  for (const balance of all.values()) {
    totals.supply += balance;
    if (balance < 0n) totals.negative++;
  }
  const supplyDiffers = totalSupply !== null && totalSupply !== totals.supply;
  const previousClean = previous !== undefined && (previous.status === "match" || previous.status === "reconciled");
  let widen = supplyDiffers || totals.negative > 0 || !previousClean || request.reconcile;

  const checked = new Map<string, { scanned: bigint; chain: bigint | null }>();
  const prefetched = request.prefetched?.block === block ? request.prefetched : undefined;
  await prefetched?.stop();
  // The prefetch's reader, unless it failed: it knows the way this node answers (Multicall3,
  // deployless, batches), so what is left is read that way without asking again.
  const reused = prefetched !== undefined && !prefetched.failed;
  const reader = reused ? prefetched.reader : new BalanceReader(node, request.tokenAddress, block);
  reader.parallel = READS_IN_FLIGHT;
  const check = async (addresses: string[]) => {
    const room = Math.max(0, limit - checked.size);
    const wanted = addresses.filter((address) => !checked.has(address)).slice(0, room);
    if (wanted.length === 0) return;
    const known = prefetched?.balances;
    const read = await reader.read(known ? wanted.filter((address) => !known.has(address)) : wanted);
    for (const address of wanted) {
      const chain = read.has(address) ? read.get(address) : known?.get(address);
      checked.set(address, { scanned: all.get(address) ?? 0n, chain: chain ?? null });
    }
  };
  const differs = () => [...checked.values()].some(({ scanned, chain }) => chain !== null && chain !== scanned);

  // The holders this scan changed first: most often that is all there is to read.
  await check([...request.changed]);
  if (!widen && differs()) widen = true;
  let everyone: string[] | undefined;
  if (widen) {
    everyone = [...all.keys()];
    await check(everyone);
  }
  const shouldCheck = new Set([...request.changed, ...(everyone ?? [])]).size;

  const differing: HolderDifference[] = [];
  let unreadable = 0;
  for (const [address, { scanned, chain }] of checked) {
    if (chain === null) unreadable++;
    else if (chain !== scanned) differing.push({ address, scanned, chain });
  }
  differing.sort((a, b) => compareMagnitude(b.chain - b.scanned, a.chain - a.scanned) || (a.address < b.address ? -1 : 1));
  const complete = checked.size - unreadable === shouldCheck;

  let status: ScanVerification["status"] = differing.length > 0 || supplyDiffers ? "mismatch" : complete ? "match" : "partial";
  const holding = [...checked.values()].filter(({ scanned }) => scanned > 0n).length;
  const cause = status === "mismatch" ? describeCause(differing, totalSupply, totals.supply, totals.negative, holding, request.startsAtCreation) : null;
  let corrections: BalanceCorrection[] = [];
  let unexplained: bigint | null = null;
  if (request.reconcile && status === "mismatch") {
    corrections = differing.map(({ address, scanned, chain }) => ({ address, scanned, chain }));
    const corrected = corrections.reduce((sum, item) => sum + item.chain - item.scanned, totals.supply);
    const left = totalSupply === null ? 0n : totalSupply - corrected;
    unexplained = left === 0n ? null : left;
    if (left === 0n && complete) status = "reconciled";
  }
  const id = await store.recordVerification(
    {
      blockNumber: block,
      status,
      totalSupply,
      scannedSupply: totals.supply,
      holdersChecked: checked.size - unreadable,
      holdersDiffering: differing.length,
      differences: differing.slice(0, DIFFERENCES_SHOWN).map((item) => ({ address: item.address, scanned: item.scanned.toString(), chain: item.chain.toString() })),
      cause: unexplained === null ? cause : `${cause}; ${unexplained} base units are held by addresses no Transfer event names`,
    },
    corrections,
  );
  return {
    id,
    block,
    status,
    totalSupply,
    scannedSupply: totals.supply,
    holdersChanged: request.changed.size,
    holdersKnown: totals.holders,
    holdersChecked: checked.size - unreadable,
    holdersUnreadable: unreadable,
    holdersDiffering: differing.length,
    negativeBalances: totals.negative,
    differences: differing.slice(0, DIFFERENCES_SHOWN),
    cause,
    corrections: corrections.length,
    unexplained,
    method: reused || reader.requests > 0 || !prefetched ? reader.method : prefetched.reader.method,
    requests: reused ? reader.requests : reader.requests + (prefetched?.reader.requests ?? 0),
    elapsedMs: Date.now() - started,
  };
}

function compareMagnitude(a: bigint, b: bigint): number {
  const x = a < 0n ? -a : a;
  const y = b < 0n ? -b : b;
  return x === y ? 0 : x > y ? 1 : -1;
}

/**
 * The likely cause of a disagreement, in words, from its shape: every balance off by one factor
 * is a rebase; more tokens on chain than the events issued, found at the holders who have more, is a
 * mint without Transfer; receivers holding less than their events gave them is a fee on transfers.
 */
export function describeCause(
  differing: HolderDifference[],
  totalSupply: bigint | null,
  scannedSupply: bigint,
  negative: number,
  /** Holders checked whose scanned balance is above zero. */
  holding: number,
  startsAtCreation: boolean,
): string {
  const causes: string[] = [];
  const more = differing.filter((item) => item.chain > item.scanned);
  const less = differing.filter((item) => item.chain < item.scanned);
  const missing = totalSupply === null ? null : totalSupply - scannedSupply;
  const sum = (items: HolderDifference[]) => items.reduce((total, item) => total + (item.chain - item.scanned), 0n);

  const ratios = differing.filter((item) => item.scanned > 0n && item.chain > 0n).map((item) => Number((item.chain * 1_000_000n) / item.scanned) / 1_000_000);
  const factor = median(ratios);
  const proportional =
    ratios.length >= 3 && ratios.length >= Math.max(1, holding) * 0.8 && factor !== 1 && ratios.every((ratio) => Math.abs(ratio - factor) <= Math.max(0.001, Math.abs(factor - 1) * 0.05));
  if (proportional) {
    causes.push(`${ratios.length} holders' balances changed by the same factor (×${factor.toFixed(6)}) without Transfer events: a rebasing or interest-bearing token`);
  } else {
    if (more.length > 0 && missing !== null && missing > 0n && less.length === 0 && sum(more) === missing) {
      causes.push(`${missing} base units were minted without a Transfer event (held by ${more.length} address(es), the largest ${more[0].address}): the token mints with an event of its own`);
    } else if (negative > 0) {
      causes.push(`${negative} address(es) sent more than any Transfer event gave them: tokens were minted or credited without a Transfer event`);
    }
    if (less.length > 0) {
      const burned = missing !== null && missing < 0n;
      const collector = more.length > 0 && !(missing !== null && missing > 0n && sum(more) === missing) ? `, collected by ${more[0].address}` : "";
      causes.push(
        `${less.length} holder(s) hold less than their Transfer events say: the token takes a fee on transfers (or burns) without an event for it${burned ? " (the missing tokens are burned: totalSupply is below the events' sum)" : collector}`,
      );
    }
    if (causes.length === 0 && more.length > 0) {
      causes.push(`${more.length} holder(s) hold more than their Transfer events say: tokens were credited without a Transfer event`);
    }
    if (causes.length === 0 && missing !== null && missing !== 0n) {
      causes.push(
        `totalSupply() differs from the sum of the scanned balances by ${missing} base units although every balance checked agrees: tokens are held by addresses no Transfer event names, or the supply changed without an event`,
      );
    }
  }
  if (causes.length === 0) causes.push("balances changed without Transfer events");
  if (!startsAtCreation) causes.push("or the scan did not start at the token's creation (scan with an earlier --start-block)");
  return causes.join("; ");
}

function median(values: number[]): number {
  if (values.length === 0) return 1;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
