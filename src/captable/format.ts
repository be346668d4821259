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
    ["Verified", verifiedText(table)],
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

function verifiedText(table: CapTable): string {
  const verification = table.verification;
  if (verification.verified) {
    return `yes: balances and total supply checked against the chain at block ${verification.checkBlock}${verification.checkStatus === "reconciled" ? " (after corrections)" : ""}`;
  }
  return `NO: ${verification.reason}`;
}

/** The banner above an unverified cap table (table and HTML); null when it is verified. */
export function unverifiedBanner(table: CapTable): string | null {
  if (table.verification.verified) return null;
  return `UNVERIFIED: the chain does not back these numbers at block ${table.atBlock}: ${table.verification.reason}`;
}

export const TABLE_HEAD = ["Name", "Address", "Last transfer", "Balance", "%"];

/** Table rows: balances rounded to the accuracy, percentages summing to 100 at that accuracy. */
export function tableRows(table: CapTable): string[][] {
  const { decimals } = table.token;
  return table.entries.map((entry) => [
    entry.name ?? "",
    entry.address,
    lastChange(entry),
    roundedAmount(entry.balance, decimals, table.accuracy),
    percent(entry, table.accuracy) ?? "-",
  ]);
}

/** The Last transfer column: a correction is shown as such, never as a transfer. */
function lastChange(entry: CapTableEntry): string {
  const when = time(entry.lastTransferTime) ?? `block ${entry.lastTransferBlock}`;
  return entry.corrected ? `correction, ${when}` : when;
}

/**
 * The CSV columns. `last_change` says whether the last change of the balance was a transfer or a
 * correction (token-scan --reconcile); `verified` is the same on every row: true only when a check
 * against the chain backs the table (cap-table's docs).
 */
export const CSV_COLUMNS = ["name", "address", "balance", "percent", "last_transfer_block", "last_transfer_at", "last_change", "verified"];

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
        entry.corrected ? "correction" : "transfer",
        String(table.verification.verified),
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
    missingEvents: table.missingEvents.map((item) => ({
      address: item.address,
      shortfall: exactAmount(item.shortfall, decimals),
      shortfallUnits: item.shortfall.toString(),
    })),
    verified: table.verification.verified,
    verification: {
      reason: table.verification.reason,
      checkBlock: table.verification.checkBlock,
      checkStatus: table.verification.checkStatus,
      holdersChecked: table.verification.holdersChecked,
      holdersDiffering: table.verification.holdersDiffering,
      cause: table.verification.cause,
      differences: table.verification.differences.map((item) => ({
        address: item.address,
        scannedUnits: item.scanned.toString(),
        chainUnits: item.chain.toString(),
        differenceUnits: (item.chain - item.scanned).toString(),
        difference: exactAmount(item.chain - item.scanned, decimals),
      })),
    },
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
      lastChange: entry.corrected ? "correction" : "transfer",
    })),
    warnings: table.warnings,
  };
}
