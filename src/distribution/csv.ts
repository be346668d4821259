import { CsvError, parse } from "csv-parse/sync";
import { DISTRIBUTION_COLUMNS, DistributionRejected, OPTIONAL_DISTRIBUTION_COLUMNS, type DistributionField, type DistributionOrigin } from "./problems";
import { StoError } from "../errors";
import { readInputFile } from "../files";

/** One row of distribution input as typed by the user, before validation. */
export interface DistributionInputRow {
  /** Spreadsheet row number (header = 1); absent for distribute-single. */
  row?: number;
  externalId: string;
  email: string;
  name: string;
  address: string;
  amount: string;
  /** Lock-up release time as typed (ISO 8601 or unix seconds); absent or blank = no lock-up. */
  lockedUntil?: string;
}

/**
 * Reads a distribution CSV file: UTF-8 with or without a byte order mark, CRLF, LF or CR line ends
 * (even mixed), a header row naming at least the columns external_id, email, name, address and
 * amount exactly (in any order; other columns are ignored; locked_until is read when present), then
 * one row per payment.
 * Blank rows are skipped. Problems with the file as a whole stop here with a one-line error; the
 * values of the rows are checked later, against the token.
 */
export function readDistributionCsv(file: string): DistributionInputRow[] {
  const origin: DistributionOrigin = { kind: "csv", file };
  const fail = (reason: string, row?: number): never => {
    throw new DistributionRejected(origin, [{ row, reason }]);
  };
  let bytes: Buffer;
  try {
    bytes = readInputFile(file, "distribution CSV", "");
  } catch (error) {
    if (!(error instanceof StoError)) throw error;
    // The origin names the file; the reason is the rest of the line.
    const reason = error.message.replace(/^: /, "").replace(/^cannot read the distribution CSV \(no such file or directory\)$/, "no such file");
    return fail(reason);
  }
  if (bytes.length === 0) {
    return fail(`the file is empty (0 bytes): expected a header row ${DISTRIBUTION_COLUMNS.join(",")} and one row per payment`);
  }
  const text = decodeText(bytes, fail);

  // One pass over the records: the first non-blank one is the header, the other non-blank ones are
  // rows, made at once (no intermediate list of records: 10,000 rows allocate a third less).
  let columns: ReturnType<typeof columnIndexes> | undefined;
  const rows: DistributionInputRow[] = [];
  try {
    eachRecord(text, (record, number) => {
      if (!record.some((cell) => cell.trim() !== "")) return;
      if (columns === undefined) {
        columns = columnIndexes(record, number, fail);
        return;
      }
      rows.push(inputRow(record, number, columns));
    });
  } catch (error) {
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines;
      return fail(`not valid CSV: ${error.message}`, typeof line === "number" ? line : undefined);
    }
    throw error;
  }
  if (columns === undefined) {
    return fail(`the file has no header row: expected ${DISTRIBUTION_COLUMNS.join(",")}`);
  }
  if (rows.length === 0) {
    return fail(`the file has a header but no payment rows`);
  }
  return rows;
}

function inputRow(record: string[], row: number, columns: ReturnType<typeof columnIndexes>): DistributionInputRow {
  const lockedUntil = columns.locked_until;
  return {
    row,
    externalId: record[columns.external_id] ?? "",
    email: record[columns.email] ?? "",
    name: record[columns.name] ?? "",
    address: record[columns.address] ?? "",
    amount: record[columns.amount] ?? "",
    ...(lockedUntil === undefined ? {} : { lockedUntil: record[lockedUntil] ?? "" }),
  };
}

const RECORD_DELIMITER = /\r\n|\n|\r/;

/**
 * The records of the file and their numbers (1 = the first record, blank ones counted): see eachRecord.
 */
export function parseRecords(text: string): { record: string[]; info: { records: number } }[] {
  const records: { record: string[]; info: { records: number } }[] = [];
  eachRecord(text, (record, number) => records.push({ record, info: { records: number } }));
  return records;
}

/**
 * Visits the records of the file with their numbers (1 = the first record, blank ones counted). A
 * file without any double quote cannot hold a quoted field, so it is split on line ends and commas:
 * the same records csv-parse returns for it (test/distribution/csv-fast-path.test.ts compares them
 * through parseRecords), at a tenth of the cost on large files. Files with quotes go through
 * csv-parse, whole (a CsvError comes before any record is visited).
 */
function eachRecord(text: string, visit: (record: string[], number: number) => void): void {
  if (!text.includes('"')) {
    const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    const lines = body.split(RECORD_DELIMITER);
    // A line end closes the last record; it does not start an empty one.
    if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    for (let index = 0; index < lines.length; index++) visit(lines[index].split(","), index + 1);
    return;
  }
  const records = parse(text, {
    bom: true,
    info: true,
    relax_column_count: true,
    // Both orders and a lone CR: files edited on several systems mix line ends, and csv-parse
    // would otherwise take the first one it sees as the only record delimiter.
    record_delimiter: ["\r\n", "\n", "\r"],
  }) as unknown as { record: string[]; info: { records: number } }[];
  for (const { record, info } of records) visit(record, info.records);
}

/** Strict UTF-8: a file that is not text is refused rather than read as garbage rows. */
function decodeText(bytes: Buffer, fail: (reason: string) => never): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return fail("the file is UTF-16 text: save it as CSV in UTF-8");
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) return fail(`not a text CSV file (binary content: a zero byte at offset ${nul})`);
  try {
    // fatal: invalid UTF-8 throws; the BOM is kept for csv-parse to remove.
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return fail("not a UTF-8 text file (binary content, or another encoding such as Latin-1): save it as CSV in UTF-8");
  }
}

/** Where each required column is; header names are matched exactly (surrounding spaces aside). */
function columnIndexes(header: string[], row: number, fail: (reason: string, row?: number) => never): Record<(typeof DISTRIBUTION_COLUMNS)[number], number> & Partial<Record<DistributionField, number>> {
  const names = header.map((name) => name.trim());
  const indexes = {} as Record<(typeof DISTRIBUTION_COLUMNS)[number], number> & Partial<Record<DistributionField, number>>;
  for (const column of OPTIONAL_DISTRIBUTION_COLUMNS) {
    const found = names.flatMap((name, index) => (name === column ? [index] : []));
    if (found.length > 1) fail(`the header names column ${column} ${found.length} times`, row);
    if (found.length === 1) indexes[column] = found[0];
  }
  const missing: string[] = [];
  for (const column of DISTRIBUTION_COLUMNS) {
    const found = names.flatMap((name, index) => (name === column ? [index] : []));
    if (found.length > 1) fail(`the header names column ${column} ${found.length} times`, row);
    if (found.length === 0) missing.push(column);
    else indexes[column] = found[0];
  }
  if (missing.length > 0) {
    const shown = names.join(",").slice(0, 120);
    const hints: string[] = [];
    const caseOnly = missing.filter((column) => names.some((name) => name.toLowerCase() === column));
    if (caseOnly.length > 0) hints.push(`header names are case-sensitive: write ${caseOnly.join(", ")} in lowercase`);
    if (names.length === 1 && /[;\t]/.test(names[0])) hints.push("columns must be separated by commas");
    fail(
      `missing ${missing.length === 1 ? "column" : "columns"} ${missing.join(", ")} in the header "${shown}"${hints.length ? ` (${hints.join("; ")})` : ""}`,
      row,
    );
  }
  return indexes;
}
