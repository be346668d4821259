/**
 * Fits a table to a terminal's width. A table of transactions is 230–290 columns wide with its
 * hashes and addresses in full; a terminal wraps each row into noise. In order, until it fits:
 * hashes and addresses (in their own columns and inside notes) are shortened in the middle
 * (0x5FbD…0aa3: the ends are what people compare),
 * the columns the caller named as least useful are dropped, and text columns are wrapped at word
 * boundaries. `--wide` and `--json` show everything; a table written to a pipe or a file is never
 * fitted (there is no width to fit and programs read the full values).
 */

/** Box-drawing overhead: "│ " before each cell, " " after, and the closing "│". */
function overhead(columns: number): number {
  return columns * 3 + 1;
}

/** The shortest a wrapped text column is made; below this a note is unreadable. */
const MIN_TEXT_WIDTH = 10;

const LONG_HEX = /\b0x[0-9a-fA-F]{16,}\b/g;

export interface FitOptions {
  /** Column indexes that may be dropped, least useful first. */
  droppable?: number[];
}

export interface FittedTable {
  head: string[];
  rows: string[][];
  /** The kept columns' original indexes, so the caller can remap alignments. */
  kept: number[];
}

/** Visible width: colour sequences take no room; code points count one each. */
export function visibleWidth(text: string): number {
  let widest = 0;
  // eslint-disable-next-line no-control-regex -- colour sequences added by Output.colour
  for (const line of text.replace(/\u001b\[[0-9;]*m/g, "").split("\n")) {
    let count = 0;
    for (const _ of line) count++;
    if (count > widest) widest = count;
  }
  return widest;
}

/** 0x5FbDB2315678afecb367f032d93F642f64180aa3 → 0x5FbD…0aa3, alone or inside a note. */
export function shortenHex(text: string): string {
  return text.replace(LONG_HEX, (hex) => `${hex.slice(0, 6)}…${hex.slice(-4)}`);
}

export function fitTable(head: string[], rows: string[][], width: number, options: FitOptions = {}): FittedTable {
  let kept = head.map((_, index) => index);
  const total = (widths: number[]) => kept.reduce((sum, column) => sum + widths[column], 0) + overhead(kept.length);
  const measure = (cells: string[][]) => head.map((cell, column) => Math.max(visibleWidth(cell), ...cells.map((row) => visibleWidth(row[column] ?? ""))));

  let cells = rows;
  let widths = measure(cells);
  if (total(widths) <= width) return { head, rows, kept };

  cells = rows.map((row) => row.map(shortenHex));
  widths = measure(cells);

  // Text columns (anything with a space in it: notes, names, messages) can wrap; hashes, numbers
  // and statuses cannot without becoming unreadable.
  const wrappable = head.map((_, column) => cells.some((row) => /\s/.test(row[column] ?? "")) && !cells.some((row) => (row[column] ?? "").includes("\u001b")));
  const shrunk = (columns: number[]) => {
    const floor = widths.map((w, column) => (wrappable[column] ? Math.min(w, Math.max(MIN_TEXT_WIDTH, visibleWidth(head[column]))) : w));
    return columns.reduce((sum, column) => sum + floor[column], 0) + overhead(columns.length);
  };
  for (const column of options.droppable ?? []) {
    if (shrunk(kept) <= width) break;
    if (kept.length > 1) kept = kept.filter((index) => index !== column);
  }

  // Wrap the widest text column a character at a time until the table fits or none can shrink.
  const target = [...widths];
  while (total(target) > width) {
    let widest = -1;
    for (const column of kept) {
      const floor = Math.max(MIN_TEXT_WIDTH, visibleWidth(head[column]));
      if (wrappable[column] && target[column] > floor && (widest < 0 || target[column] > target[widest])) widest = column;
    }
    if (widest < 0) break;
    target[widest]--;
  }
  return {
    head: kept.map((column) => head[column]),
    rows: cells.map((row) => kept.map((column) => (target[column] < widths[column] ? wrap(row[column] ?? "", target[column]) : (row[column] ?? "")))),
    kept,
  };
}

/** Word wrap to lines of at most `width` code points; a word longer than a line is cut. */
export function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    let rest = word;
    while ([...rest].length > width) {
      if (line) {
        lines.push(line);
        line = "";
      }
      const characters = [...rest];
      lines.push(characters.slice(0, width).join(""));
      rest = characters.slice(width).join("");
    }
    if (!line) line = rest;
    else if ([...line].length + 1 + [...rest].length <= width) line += ` ${rest}`;
    else {
      lines.push(line);
      line = rest;
    }
  }
  if (line) lines.push(line);
  return lines.join("\n");
}
