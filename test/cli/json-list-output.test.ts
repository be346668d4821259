import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { Output } from "../../src/cli/output";

function capture(json: boolean, write: (out: Output) => void): string {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
  const out = new Output({ json, quiet: false, logLevel: "info", stdout, stderr: new PassThrough() });
  write(out);
  return Buffer.concat(chunks).toString("utf8");
}

describe("Output.dataWithList", () => {
  const heads: Record<string, unknown>[] = [{}, { tokenAddress: "0xabc", newTransactions: 3n, nested: { a: [1, 2], b: null } }];
  const lists: unknown[][] = [
    [],
    [{ id: 1, note: "line\nbreak and \u2028 separator and \u009b C1", amount: 10n ** 30n }],
    Array.from({ length: 3_000 }, (_, index) => ({ id: index, note: `payment ${index}`, nested: { list: [index, "x"], empty: [] } })),
    [1, "two", null, [3]],
  ];
  for (const [h, head] of heads.entries()) {
    for (const [l, list] of lists.entries()) {
      it(`writes the same document as data() (head ${h}, list ${l})`, () => {
        const streamed = capture(true, (out) => out.dataWithList(head, "transactions", list));
        const whole = capture(true, (out) => out.data({ ...head, transactions: list }));
        expect(streamed).toBe(whole);
        expect(JSON.parse(streamed)).toEqual(JSON.parse(whole));
      });
    }
  }

  it("reads the items only as it writes them, from any iterable", () => {
    function* generated(): Generator<{ id: number }> {
      for (let id = 0; id < 5; id++) yield { id };
    }
    const printed = JSON.parse(capture(true, (out) => out.dataWithList({ count: 5 }, "items", generated()))) as { count: number; items: { id: number }[] };
    expect(printed.items.map((item) => item.id)).toEqual([0, 1, 2, 3, 4]);
  });

  it("prints nothing without --json", () => {
    expect(capture(false, (out) => out.dataWithList({ a: 1 }, "items", [1]))).toBe("");
  });
});
