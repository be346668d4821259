import { renderTextTable } from "./text-table";
import { fitTable } from "./fit-table";
import type { LogLevel } from "../config/resolve";
import { propertyNames, renderFieldText, type FieldNamer, type FieldText } from "../input/fields";

/** Above this many rows, tables are laid out by the linear-time renderer. */
const LARGE_TABLE_ROWS = 200;

/** Printable ASCII and colour sequences only: every character one column wide, as renderTextTable counts. */
// eslint-disable-next-line no-control-regex -- colour sequences added by Output.colour
const NARROW_CELL = /^(?:[\x20-\x7e]|\u001b\[[0-9;]*m)*$/;

/**
 * The table in cli-table3's compact box style, which measures every cell's width with Unicode's
 * rules (wide characters such as CJK and emoji take two columns).
 */
export function renderUnicodeTable(head: string[], rows: string[][], alignRight: number[]): string {
  // Loaded when a table needs it: most tables never do.
  const Table = require("cli-table3") as typeof import("cli-table3");
  const table = new Table({
    head,
    style: { head: [], border: [], compact: true },
    colAligns: head.map((_, index) => (alignRight.includes(index) ? "right" : "left")),
    chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" },
  });
  for (const row of rows) table.push(row);
  return table.toString();
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warning: 30, error: 40 };

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  logLevel: LogLevel;
  /** The terminal's width that tables are fitted to; undefined prints them whole (--wide, a pipe, a file). */
  width?: number;
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
  /** How warnings name the fields of a service's request: the running command's flags (set by action()). */
  fieldNames: FieldNamer = propertyNames;
  private readonly level: number;
  private readonly width: number | undefined;
  private readonly stdout: NodeJS.WritableStream;
  private readonly stderr: NodeJS.WritableStream;

  constructor(options: OutputOptions) {
    this.json = options.json;
    this.quiet = options.quiet;
    this.level = LEVELS[options.logLevel];
    this.width = options.width;
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
  }

  /**
   * A line of the human-readable result (suppressed with --json and --quiet). One line: a line break
   * inside it (a token name read from the chain, a name from a file) is shown escaped, so data can
   * never print a line that looks like sto's own.
   */
  info(text: string): void {
    if (!this.json && !this.quiet) this.stdout.write(`${safeLine(text)}\n`);
  }

  /** A line of the result that --quiet keeps (the essential answer), suppressed with --json. */
  result(text: string): void {
    if (!this.json) this.stdout.write(`${safeLine(text)}\n`);
  }

  /**
   * A document of several lines that sto laid out itself (a rendered table, CSV, JSON), suppressed
   * with --json unless it is the JSON; its cells were escaped when they were rendered.
   */
  block(text: string): void {
    if (!this.json) this.stdout.write(`${safeText(text)}\n`);
  }

  /**
   * A table of the result (suppressed with --json). cli-table3 (renderUnicodeTable) measures every
   * cell with Unicode-aware width functions: 75–100 ms of CPU for a table of 50 transactions, and a
   * layout time that grows with the square of the rows (10 s for 10,000 transactions). Tables of
   * one-column characters only, and large tables, use the linear-time renderer, which prints the
   * same bytes for those (test/cli/text-output.test.ts).
   */
  table(head: string[], rows: TableCell[][], options: TableOptions = {}): void {
    if (this.json) return;
    // Cells are data: escaped first; only colour()'s own sequences are added afterwards.
    const escaped = rows.map((row) => row.map((cell) => (cell instanceof Coloured ? cell.render() : safeText(String(cell), false))));
    const fitted = this.fit(head.map((cell) => safeText(cell, false)), escaped, options);
    const narrow = fitted.head.every((cell) => NARROW_CELL.test(cell)) && fitted.rows.every((row) => row.every((cell) => NARROW_CELL.test(cell)));
    const text =
      narrow || fitted.rows.length > LARGE_TABLE_ROWS
        ? renderTextTable(fitted.head, fitted.rows, fitted.alignRight, true)
        : renderUnicodeTable(fitted.head, fitted.rows, fitted.alignRight);
    this.stdout.write(`${text}\n`);
  }

  /**
   * A large table of data (the cap table) in the linear-time layout, fitted to the terminal like
   * table(); its cells are escaped here.
   */
  textTable(head: string[], rows: string[][], options: TableOptions = {}): void {
    if (this.json) return;
    const escaped = rows.map((row) => row.map((cell) => safeText(cell.replace(/[\r\n\t]+/g, " "), false)));
    const fitted = this.fit(head, escaped, options);
    this.stdout.write(`${renderTextTable(fitted.head, fitted.rows, fitted.alignRight, true)}\n`);
  }

  private fit(head: string[], rows: string[][], options: TableOptions): { head: string[]; rows: string[][]; alignRight: number[] } {
    if (this.width === undefined) return { head, rows, alignRight: options.alignRight ?? [] };
    const fitted = fitTable(head, rows, this.width, { droppable: options.droppable });
    const alignRight = fitted.kept.flatMap((column, index) => (options.alignRight?.includes(column) ? [index] : []));
    return { head: fitted.head, rows: fitted.rows, alignRight };
  }

  /** Whether tables are fitted to a terminal's width (then a table needs all its rows before its first line). */
  get fitsTables(): boolean {
    return this.width !== undefined;
  }

  /**
   * A piece of a long document written as it is produced (a streamed cap table): as block() (text,
   * suppressed with --json) or as data() (`json`: printed only with --json), waiting while the
   * reader of standard output is behind, so that what is not yet read does not pile up in memory.
   */
  async streamPiece(text: string, kind: "text" | "json"): Promise<void> {
    if (kind === "text" ? this.json : !this.json) return;
    const safe = kind === "text" ? safeText(text) : safeJson(text);
    if (!this.stdout.write(safe)) await new Promise<void>((resolve) => this.stdout.once("drain", () => resolve()));
  }

  /** The machine-readable result, printed only with --json. */
  data(value: unknown): void {
    if (this.json) this.stdout.write(`${safeJson(JSON.stringify(value, jsonReplacer, 2))}\n`);
  }

  /**
   * The same document as data({ ...head, [key]: [...items] }), written a piece at a time as the
   * items come: a list of 100,000 transactions is never held as one array or one string.
   */
  dataWithList(head: Record<string, unknown>, key: string, items: Iterable<unknown>): void {
    const list = this.listWriter(head, key);
    if (!list) return;
    for (const item of items) list.add(item);
    list.end();
  }

  /** dataWithList for items read asynchronously (a page at a time from the database). */
  async dataWithAsyncList(head: Record<string, unknown>, key: string, items: AsyncIterable<unknown>): Promise<void> {
    const list = this.listWriter(head, key);
    if (!list) return;
    for await (const item of items) list.add(item);
    list.end();
  }

  private listWriter(head: Record<string, unknown>, key: string): { add(item: unknown): void; end(): void } | undefined {
    if (!this.json) return undefined;
    if (key in head) throw new Error(`dataWithList: the head already has ${key}`);
    const empty = JSON.stringify({ ...head, [key]: [] }, jsonReplacer, 2);
    let text = empty.slice(0, empty.length - "[]\n}".length);
    let count = 0;
    return {
      add: (item) => {
        text += `${count++ === 0 ? "[\n    " : ",\n    "}${JSON.stringify(item, jsonReplacer, 2).replace(/\n/g, "\n    ")}`;
        if (text.length >= 65_536) {
          this.stdout.write(safeJson(text));
          text = "";
        }
      },
      end: () => this.stdout.write(`${safeJson(`${text}${count === 0 ? "[]" : "\n  ]"}\n}`)}\n`),
    };
  }

  debug(text: string): void {
    if (this.level <= LEVELS.debug) this.stderr.write(`debug: ${safeLine(text)}\n`);
  }

  progress(text: string): void {
    if (this.level <= LEVELS.info && !this.quiet) this.stderr.write(`${safeLine(text)}\n`);
  }

  /** A warning; one that names fields of a service's request names them as the command's flags. */
  warn(text: FieldText): void {
    if (this.level <= LEVELS.warning) this.stderr.write(`warning: ${safeLine(renderFieldText(text, this.fieldNames))}\n`);
  }

  error(text: string): void {
    this.stderr.write(`error: ${safeLine(text)}\n`);
  }

  /**
   * Colours a word for a terminal: only when stdout is a terminal, NO_COLOR is unset and the output
   * is not JSON, so files, pipes and CI logs never get escape sequences.
   */
  colour(text: string, colour: "green" | "red" | "yellow" | "cyan"): Coloured {
    const enabled = Boolean((this.stdout as NodeJS.WriteStream).isTTY) && !this.json && !("NO_COLOR" in process.env);
    return new Coloured(text, enabled ? COLOUR_CODES[colour] : undefined);
  }

  /** Whether stderr is a terminal, for progress bars. */
  get interactive(): boolean {
    return Boolean((this.stderr as NodeJS.WriteStream).isTTY) && !this.quiet && !this.json;
  }

  get errorStream(): NodeJS.WritableStream {
    return this.stderr;
  }
}

const COLOUR_CODES = { green: 32, red: 31, yellow: 33, cyan: 36 } as const;

/**
 * A table cell coloured by Output.colour(). A type of its own, so that the table can escape every
 * other cell's text and still add these escape sequences: data can never bring its own.
 */
export class Coloured {
  constructor(
    readonly text: string,
    private readonly code: number | undefined,
  ) {}

  render(): string {
    const text = safeText(this.text, false);
    return this.code === undefined ? text : `\u001b[${this.code}m${text}\u001b[39m`;
  }

  toString(): string {
    return this.text;
  }
}

export type TableCell = string | number | Coloured;

export interface TableOptions {
  /** Column indexes aligned right (numbers). */
  alignRight?: number[];
  /** Columns that may be left out to fit the terminal, least useful first (--wide shows them). */
  droppable?: number[];
}

/** JSON for results: bigints as decimal strings, so no precision is lost. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

/**
 * Characters a terminal would act on instead of showing: C0 and C1 controls (ESC starts the
 * sequences that recolour, move the cursor, retitle the window or write hyperlinks) and the
 * bidirectional overrides that reorder what is shown ("Trojan source").
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_IN_CELLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeCharacter(character: string): string {
  const code = character.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * Text from users and the chain (notes, token names, node messages) printed as data: unsafe
 * characters are shown escaped (\x1b), never sent to the terminal. Newlines and tabs are kept
 * in lines of text, escaped in table cells, where they would break the layout.
 */
export function safeText(text: string, keepLineBreaks = true): string {
  return text.replace(keepLineBreaks ? UNSAFE_CHARACTERS : UNSAFE_IN_CELLS, escapeCharacter);
}

/** Text as exactly one line: line breaks and tabs are shown escaped, like every other control. */
export function safeLine(text: string): string {
  return safeText(text, false);
}

/**
 * JSON.stringify escapes C0 controls but not C1 controls or bidi overrides; escaping them as
 * \uXXXX too keeps the document exact for a parser and harmless on a terminal.
 */
export function safeJson(json: string): string {
  return json.replace(/[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
