import { visibleWidth } from "./fit-table";

/**
 * Renders a table in the same compact box style as Output.table, in linear time. cli-table3 measures
 * every cell with Unicode-aware width functions and takes seconds for a cap table of 10,000 holders;
 * this one counts code points, which is exact for addresses, numbers and dates and close for names.
 * Line breaks in cells are shown as spaces unless `multiLine` says the cells were wrapped on purpose
 * (fitTable's wrapped notes), when a row takes as many lines as its tallest cell.
 */
export function renderTextTable(head: string[], rows: string[][], alignRight: number[] = [], multiLine = false): string {
  const cellsOf = (row: string[]) => head.map((_, column) => (multiLine ? (row[column] ?? "") : oneLine(row[column] ?? "")));
  const widths = head.map((cell) => visibleWidth(cell));
  for (const row of rows) {
    for (let column = 0; column < head.length; column++) {
      const cellWidth = visibleWidth(multiLine ? (row[column] ?? "") : oneLine(row[column] ?? ""));
      if (cellWidth > widths[column]) widths[column] = cellWidth;
    }
  }
  const right = new Set(alignRight);
  const line = (cells: string[]) =>
    `│ ${cells
      .map((cell, column) => {
        const padding = " ".repeat(widths[column] - visibleWidth(cell));
        return right.has(column) ? padding + cell : cell + padding;
      })
      .join(" │ ")} │`;
  const physical = (cells: string[]) => {
    const split = cells.map((cell) => cell.split("\n"));
    const height = Math.max(1, ...split.map((lines) => lines.length));
    const out: string[] = [];
    for (let index = 0; index < height; index++) out.push(line(split.map((lines) => lines[index] ?? "")));
    return out;
  };
  const rule = (left: string, middle: string, end: string) => `${left}${widths.map((w) => "─".repeat(w + 2)).join(middle)}${end}`;
  const lines = [rule("┌", "┬", "┐"), line(head)];
  for (const row of rows) lines.push(...physical(cellsOf(row)));
  lines.push(rule("└", "┴", "┘"));
  return lines.join("\n");
}

/**
 * The same table as renderTextTable (multiLine false) for rows that come a page at a time and are
 * never held together: `widths` first (one pass over the rows), then the lines (a second pass).
 */
export class StreamedTextTable {
  readonly widths: number[];
  private readonly right: Set<number>;

  constructor(
    private readonly head: string[],
    alignRight: number[] = [],
  ) {
    this.widths = head.map((cell) => visibleWidth(cell));
    this.right = new Set(alignRight);
  }

  measure(rows: string[][]): void {
    for (const row of rows) {
      for (let column = 0; column < this.head.length; column++) {
        const cellWidth = visibleWidth(oneLine(row[column] ?? ""));
        if (cellWidth > this.widths[column]) this.widths[column] = cellWidth;
      }
    }
  }

  top(): string {
    return `${this.rule("┌", "┬", "┐")}\n${this.line(this.head)}\n`;
  }

  lines(rows: string[][]): string {
    let text = "";
    for (const row of rows) text += `${this.line(this.head.map((_, column) => oneLine(row[column] ?? "")))}\n`;
    return text;
  }

  bottom(): string {
    return this.rule("└", "┴", "┘");
  }

  private line(cells: string[]): string {
    return `│ ${cells
      .map((cell, column) => {
        const padding = " ".repeat(this.widths[column] - visibleWidth(cell));
        return this.right.has(column) ? padding + cell : cell + padding;
      })
      .join(" │ ")} │`;
  }

  private rule(left: string, middle: string, end: string): string {
    return `${left}${this.widths.map((w) => "─".repeat(w + 2)).join(middle)}${end}`;
  }
}

function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, " ");
}
