import type { ProgressListener } from "../progress";

/**
 * A one-line progress bar redrawn in place on a terminal. Only used when stderr is a TTY, so logs
 * and pipes never receive carriage returns.
 */
export class ProgressBar {
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly width = 28,
    private readonly minIntervalMs = 100,
  ) {}

  /** Redraws (at most every minIntervalMs unless `force`) with `fraction` done and a trailing text. */
  update(fraction: number, text: string, force = false): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < this.minIntervalMs) return;
    this.lastDraw = now;
    const done = Math.max(0, Math.min(1, fraction));
    const filled = Math.round(done * this.width);
    const bar = `${"█".repeat(filled)}${"░".repeat(this.width - filled)}`;
    // A pseudo-terminal without a size reports 0 columns.
    const columns = (this.stream as NodeJS.WriteStream).columns || 100;
    const line = `${bar} ${(done * 100).toFixed(0).padStart(3)}% ${text}`.slice(0, Math.max(20, columns - 1));
    this.stream.write(`\r\u001b[K${line}`);
    this.drawn = true;
  }

  /** Removes the bar so the next output starts on a clean line. */
  clear(): void {
    if (this.drawn) this.stream.write("\r\u001b[K");
    this.drawn = false;
  }
}

/**
 * Progress of counted work (transactions sent, rows prepared, holders read): a bar with the count
 * and the rate. Undefined unless stderr is a terminal (and neither --quiet nor --json is set), so
 * callers write `progress?.update(...)`.
 */
export function countedProgress(out: { interactive: boolean; errorStream: NodeJS.WritableStream }): CountedProgress | undefined {
  return out.interactive ? new CountedProgress(new ProgressBar(out.errorStream)) : undefined;
}

export class CountedProgress {
  private started = Date.now();
  private phase = "";

  constructor(private readonly bar: ProgressBar) {}

  /** For a service's onProgress option. */
  readonly listener: ProgressListener = (what, done, total, unit) => this.update(what, done, total, unit);

  /** `done` of `total` items of `what` (e.g. "Broadcasting", "transactions"); the rate restarts with each new `what`. */
  update(what: string, done: number, total: number, unit: string): void {
    if (what !== this.phase) {
      this.phase = what;
      this.started = Date.now();
    }
    const seconds = Math.max(0.001, (Date.now() - this.started) / 1000);
    this.bar.update(total > 0 ? done / total : 1, `${what} ${groupDigits(done)}/${groupDigits(total)} ${unit} · ${groupDigits(done / seconds)} ${unit}/s`, done >= total);
  }

  clear(): void {
    this.bar.clear();
  }
}

/** 1234567 → "1,234,567" for progress text (never for amounts, which stay exact and unformatted). */
export function groupDigits(value: number): string {
  return Math.round(value).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
