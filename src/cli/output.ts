import Table from "cli-table3";
import { renderTextTable } from "./text-table";
import type { LogLevel } from "../config/resolve";

/** Above this many rows, tables are laid out by the linear-time renderer. */
const LARGE_TABLE_ROWS = 200;

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warning: 30, error: 40 };

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  logLevel: LogLevel;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

/**
 * Everything a command prints goes through here: results on stdout (tables or, with --json, one JSON
 * document), diagnostics on stderr. Services never print; they return data.
 */
export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  private readonly level: number;
  private readonly stdout: NodeJS.WritableStream;
  private readonly stderr: NodeJS.WritableStream;

  constructor(options: OutputOptions) {
    this.json = options.json;
    this.quiet = options.quiet;
    this.level = LEVELS[options.logLevel];
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
  }

  /** A line of the human-readable result (suppressed with --json and --quiet). */
  info(text: string): void {
    if (!this.json && !this.quiet) this.stdout.write(`${text}\n`);
  }

  /** A line of the result that --quiet keeps (the essential answer), suppressed with --json. */
  result(text: string): void {
    if (!this.json) this.stdout.write(`${text}\n`);
  }

  /**
   * A table of the result (suppressed with --json). Large tables use the linear-time renderer:
   * cli-table3 measures every cell with Unicode-aware width functions and its layout time grows
   * with the square of the rows (10 s for 10,000 transactions).
   */
  table(head: string[], rows: (string | number)[][], options: { alignRight?: number[] } = {}): void {
    if (this.json) return;
    const cells = rows.map((row) => row.map((cell) => String(cell)));
    if (cells.length > LARGE_TABLE_ROWS) {
      this.stdout.write(`${renderTextTable(head, cells, options.alignRight)}\n`);
      return;
    }
    const table = new Table({
      head,
      style: { head: [], border: [], compact: true },
      colAligns: head.map((_, index) => (options.alignRight?.includes(index) ? "right" : "left")),
      chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" },
    });
    for (const row of cells) table.push(row);
    this.stdout.write(`${table.toString()}\n`);
  }

  /** The machine-readable result, printed only with --json. */
  data(value: unknown): void {
    if (this.json) this.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
  }

  debug(text: string): void {
    if (this.level <= LEVELS.debug) this.stderr.write(`debug: ${text}\n`);
  }

  progress(text: string): void {
    if (this.level <= LEVELS.info && !this.quiet) this.stderr.write(`${text}\n`);
  }

  warn(text: string): void {
    if (this.level <= LEVELS.warning) this.stderr.write(`warning: ${text}\n`);
  }

  error(text: string): void {
    this.stderr.write(`error: ${text}\n`);
  }

  /**
   * Colours a word for a terminal: only when stdout is a terminal, NO_COLOR is unset and the output
   * is not JSON, so files, pipes and CI logs never get escape sequences.
   */
  colour(text: string, colour: "green" | "red" | "yellow" | "cyan"): string {
    const enabled = Boolean((this.stdout as NodeJS.WriteStream).isTTY) && !this.json && !("NO_COLOR" in process.env);
    if (!enabled) return text;
    const codes = { green: 32, red: 31, yellow: 33, cyan: 36 } as const;
    return `\u001b[${codes[colour]}m${text}\u001b[39m`;
  }

  /** Whether stderr is a terminal, for progress bars. */
  get interactive(): boolean {
    return Boolean((this.stderr as NodeJS.WriteStream).isTTY) && !this.quiet && !this.json;
  }

  get errorStream(): NodeJS.WritableStream {
    return this.stderr;
  }
}

/** JSON for results: bigints as decimal strings, so no precision is lost. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
