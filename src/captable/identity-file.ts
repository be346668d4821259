import { verifiedChecksumAddress } from "../chain/checksum";
import { parse } from "csv-parse/sync";
import { StoError } from "../errors";
import { readInputText } from "../files";
import { truncate } from "../config/resolve";

export interface Identity {
  name: string;
  /** Row of the file (the header is row 1), for messages. */
  row: number;
}

/**
 * Reads a CSV file of real-world identities: a header row naming the columns `name` and `address`
 * (any order, any case); other columns, and extra unnamed fields at the end of a row, are ignored.
 * Addresses match regardless of case, but a mixed-case address must carry a valid EIP-55 checksum
 * (a typo caught here would otherwise hide a holder's name). Returns identities by lowercase address.
 * Any problem stops with one line naming the file, row and column.
 */
export function readIdentityFile(file: string): Map<string, Identity> {
  const source = readInputText(file, "identity file");
  if (source.includes("\u0000")) throw new StoError(`${file}: not a text CSV file`);
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(source.replace(/^\uFEFF/, ""), {
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    const message = (error as Error).message.replace(/^Invalid Record Length: /, "");
    const line = (error as { lines?: number }).lines;
    throw new StoError(`${file}${line ? ` row ${line}` : ""}: not valid CSV (${truncate(message, 120)})`);
  }
  if (records.length === 0) throw new StoError(`${file}: empty; expected a header row with the columns name,address`);
  const header = records[0].record.map((column) => column.toLowerCase());
  const nameColumn = header.indexOf("name");
  const addressColumn = header.indexOf("address");
  for (const [column, index] of [["name", nameColumn], ["address", addressColumn]] as const) {
    if (index < 0) {
      throw new StoError(
        `${file} row ${records[0].info.lines}: no "${column}" column in the header (found: ${truncate(records[0].record.join(","), 80)})`,
      );
    }
  }

  const identities = new Map<string, Identity>();
  for (const { record, info } of records.slice(1)) {
    const row = info.lines;
    const name = record[nameColumn] ?? "";
    const address = record[addressColumn] ?? "";
    if (address === "") throw new StoError(`${file} row ${row}, column address: empty`);
    if (!/^0x[0-9a-fA-F]{40}$/.test(address)) {
      throw new StoError(`${file} row ${row}, column address: "${truncate(address)}" is not an Ethereum address (0x and 40 hex digits)`);
    }
    if (verifiedChecksumAddress(address) === undefined) {
      throw new StoError(
        `${file} row ${row}, column address: "${address}" has a wrong checksum (mixed case must follow EIP-55; use all lowercase to skip the check)`,
      );
    }
    if (name === "") throw new StoError(`${file} row ${row}, column name: empty`);
    const key = address.toLowerCase();
    const previous = identities.get(key);
    if (previous && previous.name !== name) {
      throw new StoError(
        `${file} row ${row}, column address: ${address} is already named "${truncate(previous.name)}" on row ${previous.row}`,
      );
    }
    if (!previous) identities.set(key, { name, row });
  }
  return identities;
}
