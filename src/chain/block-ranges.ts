import type { Refusal } from "./failures";

export interface BlockRangeOptions {
  /** Blocks asked for in the first request. */
  initial?: number;
  /** The most blocks ever asked for in one request. */
  max?: number;
  /** Events per request the size aims at: large enough for few round trips, small enough for every provider's result cap. */
  targetEvents?: number;
}

export const DEFAULT_BLOCK_RANGE: Required<BlockRangeOptions> = {
  initial: 10,
  max: 200_000,
  targetEvents: 5_000,
};

/**
 * Chooses how many blocks the next eth_getLogs asks for. Doubles over empty stretches, steers
 * toward `targetEvents` per request where events are dense, and backs off when the node refuses:
 * to the range the node suggested, else to half. A limit on the range itself (as opposed to on the
 * size of the answer) becomes a ceiling for the rest of the scan.
 */
export class AdaptiveBlockRange {
  private size: number;
  private ceiling: number;
  private readonly targetEvents: number;
  private largestSucceeded = 0;
  private steady = false;

  constructor(options: BlockRangeOptions = {}) {
    const settings = { ...DEFAULT_BLOCK_RANGE, ...options };
    this.ceiling = Math.max(1, settings.max);
    this.size = clamp(settings.initial, 1, this.ceiling);
    this.targetEvents = Math.max(1, settings.targetEvents);
  }

  /** Blocks the next request asks for. */
  get blocks(): number {
    return this.size;
  }

  get maxBlocks(): number {
    return this.ceiling;
  }

  /**
   * True when the last answer confirmed the size: it held no more than a quarter above the target
   * and the size did not grow from it. Only then is a second request of the same size worth
   * sending before the first is answered; otherwise both could overshoot together.
   */
  get settled(): boolean {
    return this.steady;
  }

  /** The range starting at `from` that the next request covers, never past `end`. */
  next(from: number, end: number): { from: number; to: number } {
    return { from, to: Math.min(end, from + this.size - 1) };
  }

  succeeded(blocks: number, events: number): void {
    if (blocks > this.largestSucceeded) this.largestSucceeded = blocks;
    let next: number;
    if (events === 0) {
      next = Math.max(this.size, blocks) * 2;
    } else {
      const ideal = Math.floor((blocks * this.targetEvents) / events);
      // Down at once, up by at most a factor of two per step. A range that proved too dense costs
      // the node more than proportionally (anvil served 24,000 events in 836 ms and 4,300 in
      // 50 ms) and may exceed a provider's cap on results, so it is not asked for again half-way
      // shrunk; a range too small after one dense stretch costs only a few small requests.
      next = ideal < blocks ? ideal : Math.min(ideal, blocks * 2);
    }
    this.size = clamp(next, 1, this.ceiling);
    this.steady = events > 0 && events <= this.targetEvents * 1.25 && this.size <= blocks;
  }

  /**
   * The node refused `blocks` blocks as too large. Returns false when the range cannot shrink any
   * further (a single block is too much for the node).
   */
  refused(blocks: number, refusal: Refusal): boolean {
    if (blocks <= 1) return false;
    let next: number;
    if (refusal.blocks !== undefined) {
      next = Math.min(refusal.blocks, blocks - 1);
      if (refusal.isRangeLimit) this.ceiling = Math.min(this.ceiling, refusal.blocks);
    } else if (refusal.isRangeLimit) {
      // An unstated range limit: it lies between the largest range that worked and this one.
      this.ceiling = Math.min(this.ceiling, blocks - 1);
      next = this.largestSucceeded > 0 && this.largestSucceeded < blocks ? Math.floor((this.largestSucceeded + blocks) / 2) : Math.floor(blocks / 2);
    } else {
      next = Math.floor(blocks / 2);
    }
    this.size = clamp(next, 1, this.ceiling);
    this.steady = false;
    return true;
  }
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
