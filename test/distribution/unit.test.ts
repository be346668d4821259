import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Interface, Wallet } from "ethers";
import { afterAll, describe, expect, it } from "vitest";
import { ContractArtifacts } from "../../src/contracts/artifacts";
import { DistributionCalldata, verifyBatchCalldata } from "../../src/distribution/calldata";
import { readDistributionCsv } from "../../src/distribution/csv";
import { DistributionRejected } from "../../src/distribution/problems";
import { validateRows } from "../../src/distribution/validate";
import { batchGasLimit, gasModel, largestBatchWithin } from "../../src/distribution/gas";
import { FIXTURES, randomAddresses } from "./helpers";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sto-dist-unit-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, content: string | Buffer): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
};
const SENDER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const A1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

describe("reading distribution CSV files", () => {
  it("reads BOM, CRLF, reordered and extra columns, quoted cells and blank rows, numbering rows as a spreadsheet does", () => {
    const rows = readDistributionCsv(path.join(FIXTURES, "valid-bom-crlf-extra-columns.csv"));
    expect(rows.map((row) => [row.row, row.externalId, row.name, row.amount.trim()])).toEqual([
      [2, "ok-1", "Mikko Ohtamaa, CEO", "300"],
      [4, "ok-2", "Ville Sundell", "200.50"],
      [5, "ok-3", "Jäné Doe", "0.000000000000000001"],
    ]);
  });

  it("accepts LF, CRLF and CR line ends mixed in one file", () => {
    const file = write("mixed.csv", `external_id,email,name,address,amount\r\nA,,,${A1},1\nB,,,${A1},2\rC,,,${A1},3\r\n`);
    expect(readDistributionCsv(file).map((row) => [row.row, row.externalId, row.amount])).toEqual([
      [2, "A", "1"],
      [3, "B", "2"],
      [4, "C", "3"],
    ]);
  });

  it.each([
    ["zero-bytes.csv", /zero-bytes\.csv: the file is empty \(0 bytes\)/],
    ["binary.csv", /binary\.csv: not a text CSV file/],
    ["utf16.csv", /utf16\.csv: the file is UTF-16/],
    ["latin1.csv", /latin1\.csv: not a UTF-8 text file/],
    ["header-only.csv", /header-only\.csv: the file has a header but no payment rows/],
    ["blank-lines-only.csv", /blank-lines-only\.csv: the file has no header row/],
    ["missing-column.csv", /missing-column\.csv:1: missing column amount/],
    ["header-case.csv", /header-case\.csv:1: missing column external_id .*case-sensitive/],
    ["semicolons.csv", /semicolons\.csv:1: missing columns .*separated by commas/],
    ["unclosed-quote.csv", /unclosed-quote\.csv:2: not valid CSV/],
  ])("refuses %s as a whole", (name, message) => {
    expect(() => readDistributionCsv(path.join(FIXTURES, name))).toThrow(message);
  });

  it("says when the file does not exist", () => {
    expect(() => readDistributionCsv(path.join(dir, "nope.csv"))).toThrow(/nope\.csv: no such file/);
  });
});

describe("validating rows", () => {
  const row = (fields: Partial<{ externalId: string; address: string; amount: string; name: string; email: string }>, number: number) => ({
    row: number,
    externalId: "X",
    email: "x@example.com",
    name: "X",
    address: A1,
    amount: "1",
    ...fields,
  });

  it("converts exact decimals with the token's decimals and checksums addresses", () => {
    const { valid, problems } = validateRows(
      [row({ externalId: "a", amount: "0.000001", address: A1.toLowerCase() }, 2), row({ externalId: "b", amount: " 12.50 " }, 3)],
      { decimals: 6, sender: SENDER },
    );
    expect(problems).toEqual([]);
    expect(valid.map((entry) => [entry.receiver, entry.amount])).toEqual([
      [A1, 1n],
      [A1, 12_500_000n],
    ]);
  });

  it("reports every problem of every row, not only the first", () => {
    const { valid, problems } = validateRows(
      [
        row({ externalId: "a", amount: "1.5" }, 2),
        row({ externalId: "a", amount: "0" }, 3),
        row({ externalId: "", address: SENDER }, 4),
        row({ externalId: "c", name: "two\nlines", amount: "1.1234567" }, 5),
      ],
      { decimals: 6, sender: SENDER },
    );
    expect(valid.map((entry) => entry.externalId)).toEqual(["a"]);
    expect(problems.map((problem) => [problem.row, problem.field, problem.reason])).toEqual([
      [3, "external_id", "duplicate of row 2"],
      [3, "amount", "must be above zero"],
      [4, "external_id", "is empty: every payment needs a unique external_id"],
      [4, "address", "is the broadcasting account itself"],
      [5, "name", "contains control characters (a line break or tab?)"],
      [5, "amount", "has more than 6 decimal places (the token's decimals)"],
    ]);
  });

  it("accepts external_id, email and name of exactly 256 characters and refuses 257, counted after trimming", () => {
    const at = "x".repeat(256);
    const over = "y".repeat(257);
    const { valid, problems } = validateRows(
      [
        row({ externalId: at, email: "e".repeat(256), name: "n".repeat(256) }, 2),
        row({ externalId: `  ${"z".repeat(256)}  ` }, 3),
        row({ externalId: over }, 4),
        row({ externalId: "b", email: "e".repeat(257) }, 5),
        row({ externalId: "c", name: "n".repeat(257) }, 6),
      ],
      { decimals: 6, sender: SENDER },
    );
    expect(valid.map((entry) => entry.row)).toEqual([2, 3]);
    expect(problems.map((problem) => [problem.row, problem.field, problem.value?.length, problem.reason])).toEqual([
      [4, "external_id", 257, "longer than 256 characters"],
      [5, "email", 257, "longer than 256 characters"],
      [6, "name", 257, "longer than 256 characters"],
    ]);
  });

  it("trims external_id before storing it and before comparing it for duplicates", () => {
    const { valid, problems } = validateRows(
      [row({ externalId: "  inv-1\t" }, 2), row({ externalId: "inv-1 " }, 3), row({ externalId: " \t " }, 4), row({ externalId: " inv-2" }, 5)],
      { decimals: 6, sender: SENDER },
    );
    expect(valid.map((entry) => [entry.row, entry.externalId])).toEqual([
      [2, "inv-1"],
      [5, "inv-2"],
    ]);
    expect(problems.map((problem) => [problem.row, problem.field, problem.value, problem.reason])).toEqual([
      [3, "external_id", "inv-1", "duplicate of row 2"],
      [4, "external_id", " \t ", "is empty: every payment needs a unique external_id"],
    ]);
  });

  // Each refusal below is reached by no other unit test: without it, removing the check or its message
  // survived mutation testing of validate.ts (npm run test:mutation -- validate).
  it("refuses each bad field with its own reason, naming the trimmed value, and trims every field it keeps", () => {
    const { valid, problems } = validateRows(
      [
        row({ externalId: " ok ", email: "  x@example.com\t", name: " Ann Lee ", address: ` ${A1.toLowerCase()} `, amount: " 2 " }, 2),
        row({ externalId: "tab\there" }, 3),
        row({ externalId: "e", address: "   " }, 4),
        row({ externalId: "f", address: " 0x1 " }, 5),
        row({ externalId: "g", address: `0x${"0".repeat(40)}` }, 6),
        row({ externalId: "h", amount: " \t" }, 7),
        row({ externalId: "i", amount: " 1.2.3 " }, 8),
        row({ externalId: "j", address: "0x70997970c51812dc3a010c7d01b50e0d17dc79C8" }, 9),
      ],
      { decimals: 6, sender: SENDER },
    );
    expect(valid).toEqual([{ row: 2, externalId: "ok", email: "x@example.com", name: "Ann Lee", receiver: A1, amount: 2_000_000n }]);
    expect(problems.map((problem) => [problem.row, problem.field, problem.value, problem.reason])).toEqual([
      [3, "external_id", "tab\there", "contains control characters (a line break or tab?)"],
      [4, "address", "   ", "is empty"],
      [5, "address", "0x1", "not an Ethereum address"],
      [6, "address", `0x${"0".repeat(40)}`, "is the zero address: tokens sent there are lost"],
      [7, "amount", " \t", "is empty"],
      [8, "amount", "1.2.3", "not a positive decimal number"],
      [9, "address", "0x70997970c51812dc3a010c7d01b50e0d17dc79C8", "not an Ethereum address (its mixed-case checksum is wrong)"],
    ]);
  });

  it("calls a duplicate of a row without a number (distribute-single) just a duplicate", () => {
    const { valid, problems } = validateRows([row({ externalId: "same" }, 2), row({ externalId: "same" }, 3)].map(({ row: _, ...rest }) => rest), {
      decimals: 6,
      sender: SENDER,
    });
    expect(valid.map((entry) => entry.externalId)).toEqual(["same"]);
    expect(problems).toEqual([{ row: undefined, field: "external_id", value: "same", reason: "duplicate" }]);
  });

  it("formats one problem as one line, several as a summary and one line each", () => {
    const one = new DistributionRejected({ kind: "csv", file: "f.csv" }, [{ row: 7, field: "amount", value: "x", reason: "not a positive decimal number" }]);
    expect(one.message).toBe('f.csv:7: field amount "x": not a positive decimal number; nothing prepared');
    expect(one.details).toEqual([]);
    const several = new DistributionRejected({ kind: "csv", file: "f.csv" }, [
      { row: 9, field: "address", value: "0x1", reason: "not an Ethereum address" },
      { row: 3, field: "amount", value: "", reason: "is empty" },
    ]);
    expect(several.message).toBe("f.csv: 2 invalid rows, nothing prepared");
    expect(several.details).toEqual(['f.csv:3: field amount "": is empty', 'f.csv:9: field address "0x1": not an Ethereum address']);
    const option = new DistributionRejected({ kind: "options", command: "distribute-single" }, [
      { field: "address", value: "0x1", reason: "not an Ethereum address" },
    ]);
    // The service names the row's fields by property; the CLI renames them to its flags.
    expect(option.message).toBe('address "0x1": not an Ethereum address; nothing prepared');
    expect(option.renamed((field) => (field === "address" ? "--to-address" : `--${field}`)).message).toBe(
      '--to-address "0x1": not an Ethereum address; nothing prepared',
    );
  });
});

describe("hand-encoded calldata", () => {
  const iface = new Interface(new ContractArtifacts().get("SecurityToken").abi);
  const encoder = new DistributionCalldata(iface);
  const receivers = randomAddresses(7);
  const amounts = [1n, 10n ** 18n, 2n ** 256n - 1n, 0n, 123456789n, 2n ** 208n, 5n];

  it("equals ethers for transfer and batchTransfer", () => {
    receivers.forEach((receiver, index) => {
      expect(encoder.transfer(receiver, amounts[index])).toBe(iface.encodeFunctionData("transfer", [receiver, amounts[index]]));
    });
    for (const size of [0, 1, 7]) {
      expect(encoder.batchTransfer(receivers.slice(0, size), amounts.slice(0, size))).toBe(
        iface.encodeFunctionData("batchTransfer", [receivers.slice(0, size), amounts.slice(0, size)]),
      );
    }
  });

  it("equals ethers for verifyBatch", () => {
    const verifier = new Interface(["function verifyBatch(address from, address[] to) view returns (bool)"]);
    const from = Wallet.createRandom().address;
    expect(verifyBatchCalldata(from, receivers)).toBe(verifier.encodeFunctionData("verifyBatch", [from, receivers]));
  });
});

describe("the gas model", () => {
  it("fits batches into the block gas limit", () => {
    const model = gasModel(0n);
    const fits = largestBatchWithin(model, 30_000_000n, { numerator: 1n, denominator: 1n });
    expect(batchGasLimit(model, fits)).toBeLessThanOrEqual(30_000_000n);
    expect(batchGasLimit(model, fits + 1)).toBeGreaterThan(30_000_000n);
    expect(gasModel(1n).batchPerReceiver).toBeGreaterThan(model.batchPerReceiver);
  });
});
