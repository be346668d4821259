import { exactAmount, fixedPoint, roundedAmount } from "./amounts";
import { isoTime, type CapTable, type CapTableEntry } from "./captable";

/** Cap table shapes for the three output formats. Services return data; the command prints it. */

function time(unixSeconds: number | null): string | null {
  return unixSeconds === null ? null : isoTime(unixSeconds);
}

function percent(entry: CapTableEntry, accuracy: number): string | null {
  return entry.percentUnits === null ? null : fixedPoint(entry.percentUnits, accuracy);
}

/** Label and value lines printed above the table (the manual's header). */
export function summaryLines(table: CapTable): [string, string][] {
  const { decimals } = table.token;
  const amount = (units: bigint) => roundedAmount(units, decimals, table.accuracy);
  const lines: [string, string][] = [
    ["Token address", table.token.address],
    ["Name", table.token.name ?? "(none)"],
    ["Symbol", table.token.symbol ?? "(none)"],
    [
      "Total supply",
      `${amount(table.totalSupply)}${table.totalSupplySource === "events" ? " (issued minus burned by the Transfer events)" : ""}`,
    ],
    ["Accounted supply", amount(table.accountedSupply)],
    ["Holder count", String(table.holderCount)],
    [
      "Database updated at",
      `${table.databaseUpdatedAt} (blocks ${table.scannedFromBlock}-${table.scannedToBlock}${
        table.scannedToBlockTime === null ? "" : `, last block mined ${isoTime(table.scannedToBlockTime)}`
      })`,
    ],
    [
      "Last transfer at",
      table.lastTransferBlock === null
        ? "(no transfers)"
        : `${time(table.lastTransferTime) ?? "?"} (block ${table.lastTransferBlock})`,
    ],
  ];
  if (table.atTime !== null || table.atBlock !== table.scannedToBlock) {
    const when = table.atTime === null ? "" : `${isoTime(table.atTime)}: `;
    lines.push([
      "Cap table at",
      `${when}end of block ${table.atBlock}${table.atBlockTime === null ? "" : ` (${isoTime(table.atBlockTime)})`}`,
    ]);
  }
  return lines;
}

export const TABLE_HEAD = ["Name", "Address", "Last transfer", "Balance", "%"];

/** Table rows: balances rounded to the accuracy, percentages summing to 100 at that accuracy. */
export function tableRows(table: CapTable): string[][] {
  const { decimals } = table.token;
  return table.entries.map((entry) => [
    entry.name ?? "",
    entry.address,
    time(entry.lastTransferTime) ?? `block ${entry.lastTransferBlock}`,
    roundedAmount(entry.balance, decimals, table.accuracy),
    percent(entry, table.accuracy) ?? "-",
  ]);
}

export const CSV_COLUMNS = ["name", "address", "balance", "percent", "last_transfer_block", "last_transfer_at"];

/** CSV of the entries: exact balances (for spreadsheets and reconciliation), percentages at the accuracy. */
export function capTableCsv(table: CapTable): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const entry of table.entries) {
    lines.push(
      [
        entry.name ?? "",
        entry.address,
        exactAmount(entry.balance, table.token.decimals),
        percent(entry, table.accuracy) ?? "",
        String(entry.lastTransferBlock),
        time(entry.lastTransferTime) ?? "",
      ]
        .map(csvField)
        .join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * One CSV field. A field that a spreadsheet would read as a formula (starting with =, +, -, @, a tab
 * or a carriage return: "CSV injection") gets a leading apostrophe, as OWASP recommends, so that a
 * name from an identity file is shown as text, never evaluated.
 */
export function csvField(value: string): string {
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) || text !== value ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The JSON document: every amount both as an exact decimal and in base units (strings, no precision lost). */
export function capTableJson(table: CapTable): Record<string, unknown> {
  const { decimals } = table.token;
  return {
    token: table.token,
    atBlock: table.atBlock,
    atBlockTime: time(table.atBlockTime),
    atTime: time(table.atTime),
    totalSupply: exactAmount(table.totalSupply, decimals),
    totalSupplyUnits: table.totalSupply.toString(),
    totalSupplySource: table.totalSupplySource,
    accountedSupply: exactAmount(table.accountedSupply, decimals),
    accountedSupplyUnits: table.accountedSupply.toString(),
    holderCount: table.holderCount,
    negativeBalances: table.negativeBalances,
    databaseUpdatedAt: table.databaseUpdatedAt,
    scannedFromBlock: table.scannedFromBlock,
    scannedToBlock: table.scannedToBlock,
    scannedToBlockTime: time(table.scannedToBlockTime),
    lastTransferBlock: table.lastTransferBlock,
    lastTransferAt: time(table.lastTransferTime),
    accuracy: table.accuracy,
    totalEntries: table.totalEntries,
    entries: table.entries.map((entry) => ({
      name: entry.name,
      address: entry.address,
      balance: exactAmount(entry.balance, decimals),
      balanceUnits: entry.balance.toString(),
      percent: percent(entry, table.accuracy),
      lastTransferBlock: entry.lastTransferBlock,
      lastTransferAt: time(entry.lastTransferTime),
    })),
    warnings: table.warnings,
  };
}
