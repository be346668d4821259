import { exactAmount, fixedPoint, roundedAmount } from "./amounts";
import { isoTime, type CapTable, type CapTableEntry, type HolderCompliance } from "./captable";

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
  if (table.compliance !== null) lines.push(["Locked and frozen", complianceText(table)]);
  if (table.atTime !== null || table.atBlock !== table.scannedToBlock) {
    const when = table.atTime === null ? "" : `${isoTime(table.atTime)}: `;
    lines.push([
      "Cap table at",
      `${when}end of block ${table.atBlock}${table.atBlockTime === null ? "" : ` (${isoTime(table.atBlockTime)})`}`,
    ]);
  }
  return lines;
}

/** Where the Locked and Frozen columns come from, in words. */
export function complianceText(table: CapTable): string {
  const compliance = table.compliance;
  if (compliance === null) return "not read (cap-table --compliance reads them from the node)";
  const when = `block ${compliance.block}${compliance.blockTime === null ? "" : ` (${isoTime(compliance.blockTime)})`}`;
  return compliance.atCapTableBlock
    ? `read from the chain at ${when}; locked = lock-ups not released at that block's time`
    : `CURRENT state, read at ${when}, not at the cap table's block ${table.atBlock}: the node keeps no state that old`;
}

/** A holder's state, or undefined when the table has none for it (not read, or the view did not answer). */
function holderCompliance(table: CapTable, entry: CapTableEntry): HolderCompliance | undefined {
  return table.compliance?.holders.get(entry.address);
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
const COMPLIANCE_HEAD = ["Locked", "Frozen"];

/** The table's header: the Locked and Frozen columns when the compliance state was read. */
export function tableHead(table: CapTable): string[] {
  return table.compliance === null ? TABLE_HEAD : [...TABLE_HEAD, ...COMPLIANCE_HEAD];
}

/** The columns aligned right (amounts and percentages). */
export function numberColumns(table: CapTable): number[] {
  return table.compliance === null ? [3, 4] : [3, 4, 5, 6];
}

/** Table rows: balances rounded to the accuracy, percentages summing to 100 at that accuracy. */
export function tableRows(table: CapTable): string[][] {
  return table.entries.map((entry) => tableRow(table, entry));
}

/** One entry's table row (the entries of a streamed table come separately from `table`). */
export function tableRow(table: CapTable, entry: CapTableEntry): string[] {
  const { decimals } = table.token;
  const amount = (units: bigint) => roundedAmount(units, decimals, table.accuracy);
  const row = [entry.name ?? "", entry.address, lastChange(entry), amount(entry.balance), percent(entry, table.accuracy) ?? "-"];
  if (table.compliance === null) return row;
  const state = holderCompliance(table, entry);
  if (state === undefined) return [...row, "?", "?"];
  const locked = `${amount(state.locked)}${state.nextRelease === null ? "" : ` (next release ${isoTime(state.nextRelease)})`}`;
  const frozenTokens = amount(state.frozenTokens);
  const frozen = state.addressFrozen ? (state.frozenTokens === 0n ? "address frozen" : `address frozen, ${frozenTokens}`) : frozenTokens;
  return [...row, locked, frozen];
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
/**
 * Added with --compliance: exact locked and frozen amounts, whether the whole address is frozen,
 * the next release, and the block they were read at (the same on every row).
 */
export const CSV_COMPLIANCE_COLUMNS = ["locked", "frozen_tokens", "address_frozen", "next_release_at", "compliance_block"];

/** CSV of the entries: exact balances (for spreadsheets and reconciliation), percentages at the accuracy. */
export function capTableCsv(table: CapTable): string {
  const lines = [csvHeader(table)];
  for (const entry of table.entries) lines.push(csvLine(table, entry));
  return `${lines.join("\n")}\n`;
}

/** The CSV header line (without its line break). */
export function csvHeader(table: CapTable): string {
  return (table.compliance === null ? CSV_COLUMNS : [...CSV_COLUMNS, ...CSV_COMPLIANCE_COLUMNS]).join(",");
}

/** One entry's CSV line (without its line break). */
export function csvLine(table: CapTable, entry: CapTableEntry): string {
  const compliance = table.compliance;
  const state = holderCompliance(table, entry);
  const extra =
    compliance === null
      ? []
      : state === undefined
        ? ["", "", "", "", String(compliance.block)]
        : [
            exactAmount(state.locked, table.token.decimals),
            exactAmount(state.frozenTokens, table.token.decimals),
            String(state.addressFrozen),
            state.nextRelease === null ? "" : isoTime(state.nextRelease),
            String(compliance.block),
          ];
  return [
    entry.name ?? "",
    entry.address,
    exactAmount(entry.balance, table.token.decimals),
    percent(entry, table.accuracy) ?? "",
    String(entry.lastTransferBlock),
    time(entry.lastTransferTime) ?? "",
    entry.corrected ? "correction" : "transfer",
    String(table.verification.verified),
    ...extra,
  ]
    .map(csvField)
    .join(",");
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
    compliance:
      table.compliance === null
        ? null
        : { block: table.compliance.block, blockTime: time(table.compliance.blockTime), atCapTableBlock: table.compliance.atCapTableBlock },
    warnings: table.warnings,
    // Last, so that a streamed document (the entries written as they come) is the same text.
    entries: table.entries.map((entry) => entryJson(table, entry)),
  };
}

/** One entry of the JSON document. */
export function entryJson(table: CapTable, entry: CapTableEntry): Record<string, unknown> {
  const { decimals } = table.token;
  return {
    name: entry.name,
    address: entry.address,
    balance: exactAmount(entry.balance, decimals),
    balanceUnits: entry.balance.toString(),
    percent: percent(entry, table.accuracy),
    lastTransferBlock: entry.lastTransferBlock,
    lastTransferAt: time(entry.lastTransferTime),
    lastChange: entry.corrected ? "correction" : "transfer",
    ...(table.compliance === null ? {} : { compliance: entryComplianceJson(holderCompliance(table, entry), decimals) }),
  };
}

/** A holder's compliance fields in the JSON document; null when the view did not answer for it. */
function entryComplianceJson(state: HolderCompliance | undefined, decimals: number): Record<string, unknown> | null {
  if (state === undefined) return null;
  return {
    locked: exactAmount(state.locked, decimals),
    lockedUnits: state.locked.toString(),
    nextReleaseAt: state.nextRelease === null ? null : isoTime(state.nextRelease),
    addressFrozen: state.addressFrozen,
    frozenTokens: exactAmount(state.frozenTokens, decimals),
    frozenTokensUnits: state.frozenTokens.toString(),
  };
}
