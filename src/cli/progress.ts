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
    const columns = (this.stream as NodeJS.WriteStream).columns ?? 100;
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

/** 1234567 → "1,234,567" for progress text (never for amounts, which stay exact and unformatted). */
export function groupDigits(value: number): string {
  return Math.round(value).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
