export interface HolderBalance {
  /** Lowercase hex. */
  address: string;
  balance: bigint;
  /** Block of the last balance change at or before the block asked for. */
  lastChangeBlock: number;
  /** Its time, unix seconds. */
  lastChangeTime: number | null;
  /** The last change is a correction by token-scan --reconcile, not a transfer. */
  corrected: boolean;
}

/** Decimal digits of a balance's lower part; the upper part is the digits above them. */
const LOWER_DIGITS = 15;
const LOWER_SCALE_BIG = 10n ** BigInt(LOWER_DIGITS);
/** At most this many digits, both parts are integers below 2^53, exact in a double. */
const MAX_PACKED_DIGITS = 2 * LOWER_DIGITS;
const FIRST_CAPACITY = 1_024;
const NO_TIME = Number.NaN;

/**
 * Every holder's state at a block (the rows of holderStatesSql), column by column: each balance as
 * two doubles (the digits above its last 15 and those 15), the blocks, times and correction flags in
 * typed arrays, and each address as its place in the text the rows came in. At 100,000 holders an
 * object, a BigInt and a string per holder were most of the past cap table's time: each outlived
 * the young generation and was copied by the garbage collector twice (docs/benchmarks.md, session
 * 13). Typed arrays hold nothing for the collector to copy, and the digits are read without making
 * a string; a balance or an address is made when it is asked for. Negative balances and balances
 * of more than 30 digits are kept whole, by row.
 *
 * Rows are appended by the reader (balancesAtBlock) and kept in the order appended.
 */
export class HolderBalances {
  private count = 0;
  private readonly texts: string[] = [];
  private textOf = new Uint32Array(FIRST_CAPACITY);
  private startOf = new Uint32Array(FIRST_CAPACITY);
  private lower = new Float64Array(FIRST_CAPACITY);
  private upper = new Float64Array(FIRST_CAPACITY);
  private signOf = new Int8Array(FIRST_CAPACITY);
  private blockOf = new Float64Array(FIRST_CAPACITY);
  private timeOf = new Float64Array(FIRST_CAPACITY);
  private correctedOf = new Uint8Array(FIRST_CAPACITY);
  /** Negative balances and balances of more than MAX_PACKED_DIGITS digits, by row. */
  private readonly unpacked = new Map<number, bigint>();

  get length(): number {
    return this.count;
  }

  /** Lowercase hex. */
  address(row: number): string {
    const text = this.texts[this.textOf[row]];
    const start = this.startOf[row];
    return text.slice(start, text.indexOf(" ", start));
  }

  balance(row: number): bigint {
    if (this.signOf[row] < 0 || this.unpacked.size > 0) {
      const unpacked = this.unpacked.get(row);
      if (unpacked !== undefined) return unpacked;
    }
    const upper = this.upper[row];
    return upper === 0 ? BigInt(this.lower[row]) : BigInt(upper) * LOWER_SCALE_BIG + BigInt(this.lower[row]);
  }

  /** The sign of the balance (1, 0 or -1), without making the balance. */
  sign(row: number): number {
    return this.signOf[row];
  }

  /** Block of the last balance change at or before the block asked for. */
  lastChangeBlock(row: number): number {
    return this.blockOf[row];
  }

  /** Its time (unix seconds); null when the query did not join it and the block is not remembered. */
  lastChangeTime(row: number): number | null {
    const time = this.timeOf[row];
    return Number.isNaN(time) ? null : time;
  }

  /** The last change is a correction by token-scan --reconcile, not a transfer. */
  corrected(row: number): boolean {
    return this.correctedOf[row] === 1;
  }

  row(row: number): HolderBalance {
    return {
      address: this.address(row),
      balance: this.balance(row),
      lastChangeBlock: this.lastChangeBlock(row),
      lastChangeTime: this.lastChangeTime(row),
      corrected: this.corrected(row),
    };
  }

  /** Every row as an object (for callers that keep few rows, and for tests). */
  toArray(): HolderBalance[] {
    const rows: HolderBalance[] = [];
    for (let row = 0; row < this.count; row++) rows.push(this.row(row));
    return rows;
  }

  /**
   * Appends the rows of `text`: rows of holderStatesSql ("address balance block correction [time]",
   * the correction 0 or 1) joined by newlines, read in place.
   */
  append(text: string): void {
    if (text.length === 0) return;
    const textIndex = this.texts.push(text) - 1;
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf("\n", start);
      if (end < 0) end = text.length;
      this.appendRow(text, textIndex, start, end);
      start = end + 1;
    }
  }

  private appendRow(text: string, textIndex: number, start: number, end: number): void {
    if (this.count === this.lower.length) this.grow();
    const row = this.count++;
    const afterAddress = text.indexOf(" ", start);
    const afterBalance = text.indexOf(" ", afterAddress + 1);
    const afterBlock = text.indexOf(" ", afterBalance + 1);
    this.textOf[row] = textIndex;
    this.startOf[row] = start;
    const digits = afterBalance - afterAddress - 1;
    if (text.charCodeAt(afterAddress + 1) === 45 || digits > MAX_PACKED_DIGITS) {
      // Negative, or too large for two doubles: kept whole (evidence of missing events, or a huge supply).
      const balance = BigInt(text.slice(afterAddress + 1, afterBalance));
      this.unpacked.set(row, balance);
      this.upper[row] = 0;
      this.lower[row] = 0;
      this.signOf[row] = balance > 0n ? 1 : balance < 0n ? -1 : 0;
    } else {
      const split = afterBalance - Math.min(digits, LOWER_DIGITS);
      const upper = decimal(text, afterAddress + 1, split);
      const lower = decimal(text, split, afterBalance);
      this.upper[row] = upper;
      this.lower[row] = lower;
      this.signOf[row] = upper > 0 || lower > 0 ? 1 : 0;
    }
    this.blockOf[row] = decimal(text, afterBalance + 1, afterBlock);
    this.correctedOf[row] = text.charCodeAt(afterBlock + 1) === 49 ? 1 : 0;
    this.timeOf[row] = afterBlock + 3 < end ? decimal(text, afterBlock + 3, end) : NO_TIME;
  }

  /** Sets each row's time from its block's (rows whose block is not in `times` keep none). */
  setTimes(times: ReadonlyMap<number, number>): void {
    for (let row = 0; row < this.count; row++) this.timeOf[row] = times.get(this.blockOf[row]) ?? NO_TIME;
  }

  /** The distinct blocks of the rows' last changes. */
  blocks(): number[] {
    const blocks = new Set<number>();
    for (let row = 0; row < this.count; row++) blocks.add(this.blockOf[row]);
    return [...blocks];
  }

  /** Compares the addresses of two rows as JavaScript compares strings, without making them. */
  compareAddresses(a: number, b: number): number {
    const textA = this.texts[this.textOf[a]];
    const textB = this.texts[this.textOf[b]];
    let indexA = this.startOf[a];
    let indexB = this.startOf[b];
    for (;;) {
      // A space ends an address, and sorts below every character of one.
      const charA = textA.charCodeAt(indexA++);
      const charB = textB.charCodeAt(indexB++);
      if (charA !== charB) return charA === 32 ? -1 : charB === 32 ? 1 : charA - charB;
      if (charA === 32) return 0;
    }
  }

  /** Puts the rows from `from` on in address order (rows appended out of order). */
  sortFrom(from: number): void {
    const order = Array.from({ length: this.count - from }, (_, index) => from + index).sort((a, b) => this.compareAddresses(a, b));
    const reorder = <V>(column: { [row: number]: V }): void => {
      const values = order.map((row) => column[row]);
      values.forEach((value, index) => {
        column[from + index] = value;
      });
    };
    reorder<number>(this.textOf);
    reorder<number>(this.startOf);
    reorder<number>(this.lower);
    reorder<number>(this.upper);
    reorder<number>(this.signOf);
    reorder<number>(this.blockOf);
    reorder<number>(this.timeOf);
    reorder<number>(this.correctedOf);
    const moved = new Map<number, bigint>();
    order.forEach((row, index) => {
      const balance = this.unpacked.get(row);
      if (balance !== undefined) moved.set(from + index, balance);
    });
    for (const row of [...this.unpacked.keys()]) if (row >= from) this.unpacked.delete(row);
    for (const [row, balance] of moved) this.unpacked.set(row, balance);
  }

  private grow(): void {
    const capacity = this.lower.length * 2;
    this.textOf = copied(new Uint32Array(capacity), this.textOf);
    this.startOf = copied(new Uint32Array(capacity), this.startOf);
    this.lower = copied(new Float64Array(capacity), this.lower);
    this.upper = copied(new Float64Array(capacity), this.upper);
    this.signOf = copied(new Int8Array(capacity), this.signOf);
    this.blockOf = copied(new Float64Array(capacity), this.blockOf);
    this.timeOf = copied(new Float64Array(capacity), this.timeOf);
    this.correctedOf = copied(new Uint8Array(capacity), this.correctedOf);
  }
}

/** `target` with `source` copied to its start. */
function copied<T extends { set(values: ArrayLike<V>): void }, V>(target: T, source: ArrayLike<V>): T {
  target.set(source);
  return target;
}

/** The decimal digits text[start, end) as a number (callers keep it below 2^53: exact). */
function decimal(text: string, start: number, end: number): number {
  let value = 0;
  for (let index = start; index < end; index++) value = value * 10 + (text.charCodeAt(index) - 48);
  return value;
}
