import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { groupDigits, ProgressBar } from "../../src/cli/progress";
import { Output, renderUnicodeTable } from "../../src/cli/output";
import { renderTextTable } from "../../src/cli/text-table";

function collector(): { stream: Writable; text: () => string } {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return { stream, text: () => text };
}

describe("terminal output helpers", () => {
  it("draws the progress bar in place, at most every interval, and clears it", () => {
    const { stream, text } = collector();
    const bar = new ProgressBar(stream, 10, 60_000);
    bar.update(0.5, "block 5/10");
    bar.update(0.6, "block 6/10"); // within the interval: skipped
    bar.update(1, "block 10/10", true);
    bar.clear();
    const frames = text().split("\r\u001b[K").filter(Boolean);
    expect(frames).toEqual(["█████░░░░░  50% block 5/10", "██████████ 100% block 10/10"]);
    expect(text().endsWith("\r\u001b[K")).toBe(true);
    expect(groupDigits(1234567.4)).toBe("1,234,567");
  });

  it("renders the compact box table with right-aligned columns and one line per row", () => {
    expect(renderTextTable(["Name", "%"], [["Alice", "5.00"], ["Bob\nJr", "95.00"]], [1])).toBe(
      ["┌────────┬───────┐", "│ Name   │     % │", "│ Alice  │  5.00 │", "│ Bob Jr │ 95.00 │", "└────────┴───────┘"].join("\n"),
    );
  });
});

describe("the table renderers", () => {
  /** A random cell of printable ASCII, sometimes empty, sometimes coloured as Output.colour does. */
  function cell(random: () => number): string {
    const length = Math.floor(random() * 14);
    let text = "";
    for (let index = 0; index < length; index++) text += String.fromCharCode(0x20 + Math.floor(random() * 95));
    return random() < 0.2 ? `\u001b[3${Math.floor(random() * 8)}m${text}\u001b[39m` : text;
  }

  it("print the same bytes for tables of one-column characters, in either alignment", () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 200; trial++) {
      const columns = 1 + Math.floor(random() * 5);
      const head = Array.from({ length: columns }, () => cell(random));
      const rows = Array.from({ length: Math.floor(random() * 6) }, () => Array.from({ length: columns }, () => cell(random)));
      const alignRight = head.flatMap((_, index) => (random() < 0.5 ? [index] : []));
      expect(renderTextTable(head, rows, alignRight, true), JSON.stringify({ head, rows, alignRight })).toBe(renderUnicodeTable(head, rows, alignRight));
    }
  });

  it("measure a wide character as two columns only in the Unicode renderer (which Output.table uses for it)", () => {
    const rows = [["株式会社", "1"]];
    // Eight columns wide: the head is padded to it.
    expect(renderUnicodeTable(["Name", "Shares"], rows, [1]).split("\n")[1]).toBe("│ Name     │ Shares │");
    expect(renderTextTable(["Name", "Shares"], rows, [1]).split("\n")[1]).toBe("│ Name │ Shares │");
    const { stream, text } = collector();
    new Output({ json: false, quiet: false, logLevel: "info", stdout: stream }).table(["Name", "Shares"], rows, { alignRight: [1] });
    expect(text().split("\n")[1]).toBe("│ Name     │ Shares │");
  });
});
