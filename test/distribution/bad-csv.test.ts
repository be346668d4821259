import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorld, type E2eWorld } from "../helpers/e2e";
import { FIXTURES, errorLines, issueToken, transactionCount } from "./helpers";

/**
 * Every bad file of the corpus: exit code 1, an error line naming the file (and the row and field
 * where there is one), and no transaction prepared. `lines` are the expected error lines in order.
 */
const CORPUS: [file: string, lines: RegExp[]][] = [
  [
    "not-an-address.csv",
    [
      /not-an-address\.csv: 2 invalid rows, nothing prepared$/,
      /not-an-address\.csv:3: field address "0x1234": not an Ethereum address$/,
      /not-an-address\.csv:4: field address "hello": not an Ethereum address$/,
    ],
  ],
  ["bad-checksum.csv", [/bad-checksum\.csv:3: field address "0x3c44cdddb6a900fa2b585dd299e03d12fa4293BC": not an Ethereum address \(its mixed-case checksum is wrong\); nothing prepared$/]],
  [
    "amount-not-positive-decimal.csv",
    [
      /amount-not-positive-decimal\.csv: 5 invalid rows, nothing prepared$/,
      /:2: field amount "abc": not a positive decimal number$/,
      /:3: field amount "-5": not a positive decimal number$/,
      /:4: field amount "1e5": not a positive decimal number$/,
      /:5: field amount "1,5": not a positive decimal number$/,
      /:6: field amount "0": must be above zero$/,
    ],
  ],
  ["too-many-decimals.csv", [/too-many-decimals\.csv:3: field amount "1\.0000000000000000001": has more than 18 decimal places \(the token's decimals\); nothing prepared$/]],
  ["amount-overflows-uint256.csv", [/amount-overflows-uint256\.csv:2: field amount "\d+": too large for a uint256; nothing prepared$/]],
  ["empty-external-id.csv", [/empty-external-id\.csv:3: field external_id "": is empty: every payment needs a unique external_id; nothing prepared$/]],
  ["duplicate-external-id.csv", [/duplicate-external-id\.csv:4: field external_id "A1": duplicate of row 2; nothing prepared$/]],
  ["missing-column.csv", [/missing-column\.csv:1: missing column amount in the header "external_id,email,name,address"; nothing prepared$/]],
  ["header-case.csv", [/header-case\.csv:1: missing column external_id .*case-sensitive/]],
  ["semicolons.csv", [/semicolons\.csv:1: missing columns external_id, email, name, address, amount .*separated by commas/]],
  ["header-only.csv", [/header-only\.csv: the file has a header but no payment rows; nothing prepared$/]],
  ["blank-lines-only.csv", [/blank-lines-only\.csv: the file has no header row/]],
  ["zero-bytes.csv", [/zero-bytes\.csv: the file is empty \(0 bytes\)/]],
  ["binary.csv", [/binary\.csv: not a text CSV file \(binary content: a zero byte at offset 8\); nothing prepared$/]],
  ["latin1.csv", [/latin1\.csv: not a UTF-8 text file/]],
  ["utf16.csv", [/utf16\.csv: the file is UTF-16 text: save it as CSV in UTF-8/]],
  ["unclosed-quote.csv", [/unclosed-quote\.csv:2: not valid CSV: Quote Not Closed/]],
  [
    "zero-and-own-address.csv",
    [
      /zero-and-own-address\.csv: 2 invalid rows, nothing prepared$/,
      /:2: field address "0x0{40}": is the zero address: tokens sent there are lost$/,
      /:3: field address "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266": is the broadcasting account itself$/,
    ],
  ],
  [
    "several-bad-rows.csv",
    [
      /several-bad-rows\.csv: 2 invalid rows, nothing prepared$/,
      /:3: field address "0xnothex": not an Ethereum address$/,
      /:3: field amount "1\.5\.5": not a positive decimal number$/,
      /:5: field external_id "A1": duplicate of row 2$/,
      /:5: field amount "": is empty$/,
    ],
  ],
];

describe("a corpus of bad distribution files: each error named, nothing prepared", () => {
  let world: E2eWorld;
  let tokenAddress: string;
  beforeAll(async () => {
    world = await startWorld();
    tokenAddress = await issueToken(world);
  });
  afterAll(() => world.close());

  it.each(CORPUS)("%s", async (file, expected) => {
    const before = transactionCount(world);
    const result = await world.sto(["distribute-multiple", `--csv-input=${path.join(FIXTURES, file)}`, `--address=${tokenAddress}`]);
    expect(result.code, result.stdout).toBe(1);
    const lines = errorLines(result.stderr);
    expect(lines).toHaveLength(expected.length);
    expected.forEach((pattern, index) => expect(lines[index]).toMatch(pattern));
    expect(lines.every((line) => line.includes(file))).toBe(true);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe("");
    expect(transactionCount(world)).toBe(before);
  });

  it("refuses a missing file and a bad token address before touching anything", async () => {
    const before = transactionCount(world);
    const missing = await world.sto(["distribute-multiple", "--csv-input=nope.csv", `--address=${tokenAddress}`]);
    expect(errorLines(missing.stderr)).toEqual([expect.stringMatching(/nope\.csv: no such file; nothing prepared$/)]);
    const badToken = await world.sto(["distribute-multiple", `--csv-input=${path.join(FIXTURES, "valid-bom-crlf-extra-columns.csv")}`, "--address=0x1234"]);
    expect(errorLines(badToken.stderr)).toEqual([expect.stringMatching(/--address: "0x1234" is not an Ethereum address/)]);
    const noContract = await world.sto([
      "distribute-multiple",
      `--csv-input=${path.join(FIXTURES, "valid-bom-crlf-extra-columns.csv")}`,
      "--address=0x000000000000000000000000000000000000dEaD",
    ]);
    expect(errorLines(noContract.stderr)).toEqual([expect.stringMatching(/--address 0x000000000000000000000000000000000000dEaD: no contract there on local/)]);
    const badBatch = await world.sto(["distribute-multiple", `--csv-input=${path.join(FIXTURES, "valid-bom-crlf-extra-columns.csv")}`, `--address=${tokenAddress}`, "--batch-size=0"]);
    expect(errorLines(badBatch.stderr)).toEqual([expect.stringMatching(/--batch-size: "0" must be a whole number of receivers, 1 or more/)]);
    expect(transactionCount(world)).toBe(before);
  });

  it("accepts BOM, CRLF, extra and reordered columns, quoted cells and blank rows", async () => {
    // A token of its own: the refusals above find no payment prepared, whatever the order.
    const tokenAddress = await issueToken(world);
    const result = await world.ok(["--json", "distribute-multiple", `--csv-input=${path.join(FIXTURES, "valid-bom-crlf-extra-columns.csv")}`, `--address=${tokenAddress}`]);
    const json = JSON.parse(result.stdout) as { newRows: number; newAmount: string; transactions: { note: string; externalId: string }[] };
    expect(json.newRows).toBe(3);
    expect(json.newAmount).toBe("500.500000000000000001");
    expect(json.transactions.map((tx) => [tx.externalId, tx.note])).toEqual([
      ["ok-1", "Distributing 300 shares to Mikko Ohtamaa, CEO (mikko@example.com)"],
      ["ok-2", "Distributing 200.5 shares to Ville Sundell (ville@example.com)"],
      ["ok-3", "Distributing 0.000000000000000001 shares to Jäné Doe"],
    ]);
    const sources = world.query<{ source: string }>("SELECT source FROM distribution_payments WHERE token_address = ? ORDER BY id", tokenAddress).map((row) => row.source);
    expect(sources.map((source) => source.split(":").pop())).toEqual(["2", "4", "5"]);
  });
});
