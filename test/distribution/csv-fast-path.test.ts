import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { parseRecords } from "../../src/distribution/csv";

/** What csv-parse itself returns, with the options readDistributionCsv uses for quoted files. */
function csvParse(text: string): { record: string[]; info: { records: number } }[] {
  const records = parse(text, { bom: true, info: true, relax_column_count: true, record_delimiter: ["\r\n", "\n", "\r"] }) as unknown as {
    record: string[];
    info: { records: number };
  }[];
  return records.map(({ record, info }) => ({ record, info: { records: info.records } }));
}

describe("distribution CSV without quotes (split fast path)", () => {
  it("returns the records and record numbers csv-parse returns", () => {
    const pieces = ["a", "b", "", " ", "0x12", "1.25", "é", "\t", ";"];
    const ends = ["\n", "\r\n", "\r"];
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 2000; i++) {
      let text = random(4) === 0 ? "\ufeff" : "";
      const lines = random(8);
      for (let line = 0; line < lines; line++) {
        const fields = random(5);
        text += Array.from({ length: fields }, () => pieces[random(pieces.length)]).join(",");
        if (line < lines - 1 || random(2) === 0) text += ends[random(ends.length)];
      }
      expect(parseRecords(text), JSON.stringify(text)).toEqual(csvParse(text));
    }
  });

  it("leaves files with quotes to csv-parse", () => {
    const text = 'external_id,name\n1,"Smith, John"\n2,"multi\nline"\n';
    expect(parseRecords(text).map(({ record, info }) => ({ record, info: { records: info.records } }))).toEqual(csvParse(text));
    expect(parseRecords(text)[1].record).toEqual(["1", "Smith, John"]);
  });
});
