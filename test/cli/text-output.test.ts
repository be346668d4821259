import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { groupDigits, ProgressBar } from "../../src/cli/progress";
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
