import type { Suggestion } from "./rpc";

export interface BlockRangeOptions {
  /** Blocks asked for in the first request. */
  initial?: number;
  /** The most blocks ever asked for in one request. */
  max?: number;
  /** Events per request the size aims at: large enough for few round trips, small enough for every provider's result cap. */
  targetEvents?: number;
}

export const DEFAULT_BLOCK_RANGE: Required<BlockRangeOptions> = {
  initial: 1_000,
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

  /** The range starting at `from` that the next request covers, never past `end`. */
  next(from: number, end: number): { from: number; to: number } {
    return { from, to: Math.min(end, from + this.size - 1) };
  }

  succeeded(blocks: number, events: number): void {
    let next: number;
    if (events === 0) {
      next = Math.max(this.size, blocks) * 2;
    } else {
      const ideal = Math.floor((blocks * this.targetEvents) / events);
      // At most a factor of two per step, so one odd stretch does not swing the size wildly.
      next = clamp(ideal, Math.floor(blocks / 2), blocks * 2);
    }
    this.size = clamp(next, 1, this.ceiling);
  }

  /**
   * The node refused `blocks` blocks as too large. Returns false when the range cannot shrink any
   * further (a single block is too much for the node).
   */
  refused(blocks: number, suggestion?: Suggestion): boolean {
    if (blocks <= 1) return false;
    let next = suggestion ? Math.min(suggestion.blocks, blocks - 1) : Math.floor(blocks / 2);
    next = Math.max(1, next);
    if (suggestion?.isRangeLimit) this.ceiling = Math.max(1, Math.min(this.ceiling, suggestion.blocks));
    this.size = clamp(next, 1, this.ceiling);
    return true;
  }

  /** A request kept timing out: heavy ranges do, so ask for fewer blocks too. */
  struggled(blocks: number): void {
    this.size = clamp(Math.floor(blocks / 2), 1, this.ceiling);
  }
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
