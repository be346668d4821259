import { Option, type Command } from "commander";
import { StoError } from "../../errors";
import { writeOutputFile } from "../../files";
import { parseBoolean } from "../../config/resolve";
import {
  buildCapTable,
  type CapTable,
  type CapTableEntry,
  type CapTableRequest,
  ORDER_BY,
  ORDER_DIRECTIONS,
  type OrderBy,
  type OrderDirection,
} from "../../captable/captable";
import fs from "node:fs";
import { capTableHtml } from "../../captable/html";
import { addHolderCompliance } from "../../captable/compliance";
import {
  capTableCsv,
  capTableJson,
  csvHeader,
  csvLine,
  entryJson,
  numberColumns,
  summaryLines,
  tableHead,
  tableRow,
  tableRows,
  unverifiedBanner,
} from "../../captable/format";
import { streamCapTable } from "../../captable/stream";
import { writeOutputFileStreamed } from "../../files";
import type { Output } from "../output";
import { readIdentityFile } from "../../captable/identity-file";
import { jsonReplacer, safeLine, safeText } from "../output";
import { action } from "../action";
import { renderTextTable, StreamedTextTable } from "../text-table";
import { parseAddress } from "../../input/address";
import { parseAtDateRange } from "../../input/dates";
import { parseBlockNumber, parseCount } from "../../input/numbers";
import { ledgerOf } from "../../tx/ledger";

interface CapTableOptions {
  tokenAddress: string;
  identityFile?: string;
  orderBy: OrderBy;
  orderDirection: OrderDirection;
  includeEmpty?: string | boolean;
  maxEntries?: string;
  accuracy: string;
  atBlock?: string;
  atDate?: string;
  format?: "table" | "csv" | "json" | "html";
  output?: string;
  force?: boolean;
  compliance?: boolean;
}

export const CAP_TABLE_DESCRIPTION = `Print out token holder cap table.

The token holder data must have been scanned earlier using token-scan command; the cap table is
computed from the local database alone (no node needed), for now or, with --at-block or --at-date,
for any moment of the scanned range.

You can supply optional CSV file that contains Ethereum address mappings to individual token holder
names (columns name,address; other columns are ignored; addresses match regardless of case). The
account that deployed the token from this database is named "Issuer (treasury)" unless the file
names it.

Percentages are shares of the accounted supply (the sum of all holders' balances), rounded with the
largest remainder method so that they add up to exactly 100 at the printed accuracy.

A cap table is verified when token-scan's check against the chain (balanceOf and totalSupply at the
block where a scan ended) backs it; otherwise it is marked UNVERIFIED in every format (a banner in
the table and HTML, verified: false with the differences in JSON, the verified column in CSV). A
balance below zero by the Transfer events is never printed: it is reported as missing events.

With --compliance the cap table also shows, per holder, the amount still locked up (lock-ups not
released at the cap table's block time, with the next release) and what is frozen (the whole
address, or part of the balance), read from the token's holding(address) view at the cap table's
block (batched through Multicall3). This needs the node. A node that keeps no state that old
answers for the current block instead: the cap table then says the locked and frozen amounts are
the current ones.

The table, CSV and JSON formats are streamed: entries are read a page at a time and written as
they come, so a cap table of a million holders prints in bounded memory (the percentages come from
earlier passes over the same snapshot of the database). HTML, --compliance and a table fitted to
the terminal's width are built in memory first. With --output the file appears only once complete.`;

function bannerLines(table: Parameters<typeof unverifiedBanner>[0]): string {
  const banner = unverifiedBanner(table);
  return banner === null ? "" : `${banner}\n\n`;
}

export function register(program: Command): void {
  program
    .command("cap-table")
    .description(CAP_TABLE_DESCRIPTION)
    .requiredOption("--token-address <address>", "token contract address")
    .option("--identity-file <path>", "CSV file containing address real world identities (columns name,address)")
    .addOption(new Option("--order-by <field>", "how cap table is sorted").choices(ORDER_BY).default("balance"))
    .addOption(new Option("--order-direction <direction>", "sort direction").choices(ORDER_DIRECTIONS).default("desc"))
    .option("--include-empty [bool]", "also list addresses that held tokens before but hold none now (default: false)")
    .option("--max-entries <count>", "print only first N entries (default: all)")
    .option("--accuracy <digits>", "how many decimals include in balance and percentage output", "2")
    .option("--at-block <block>", "the cap table at the end of this block")
    .option("--at-date <iso-8601>", "the cap table at this time, e.g. 2024-12-31 (end of that day, UTC) or 2024-12-31T18:00:00+02:00")
    .addOption(
      new Option("--format <format>", "output format (--json is the same as --format json); html writes a self-contained page with an ownership chart to --output").choices(["table", "csv", "json", "html"]),
    )
    .option("--output <file>", "write the cap table to this file instead of standard output (required for html)")
    .option("--force", "overwrite the --output file")
    .option("--compliance", "add locked and frozen amounts per holder, read from the token on the node (needs the node)")
    .action(
      action(async (ctx, options: CapTableOptions) => {
        const tokenAddress = parseAddress(options.tokenAddress, "--token-address");
        const includeEmpty =
          options.includeEmpty === undefined ? false : parseBoolean(options.includeEmpty, "--include-empty");
        const maxEntries =
          options.maxEntries === undefined ? undefined : parseCount(options.maxEntries, "--max-entries", { min: 1, max: 1e9 });
        const accuracy = parseCount(options.accuracy, "--accuracy", { min: 0, max: 30 });
        if (options.atBlock !== undefined && options.atDate !== undefined) {
          throw new StoError("give either --at-block or --at-date, not both");
        }
        const atBlock = options.atBlock === undefined ? undefined : parseBlockNumber(options.atBlock, "--at-block");
        const atDate = options.atDate === undefined ? undefined : parseAtDateRange(options.atDate, "--at-date");
        if (ctx.config.json && options.format !== undefined && options.format !== "json") {
          throw new StoError(`--json conflicts with --format ${options.format}`);
        }
        const format = ctx.config.json ? "json" : (options.format ?? "table");
        const identities = options.identityFile ? readIdentityFile(options.identityFile) : undefined;

        const db = await ctx.db();
        const deployment = (await ledgerOf(db).deploymentsAt(ctx.config.network.name, tokenAddress)).find((row) => row.status === "success");
        const capRequest: CapTableRequest = {
          chainId: ctx.config.network.chainId,
          tokenAddress,
          atBlock,
          atTime: atDate?.end,
          atTimeBegins: atDate?.begins,
          identities,
          issuer: deployment?.fromAddress,
          orderBy: options.orderBy,
          direction: options.orderDirection,
          maxEntries,
          includeEmpty,
          accuracy,
        };
        if (options.output !== undefined && fs.existsSync(options.output) && !options.force) {
          throw new StoError(`--output ${options.output}: the file exists (use --force to overwrite)`);
        }
        if (format === "html" && options.output === undefined) throw new StoError("--format html needs --output FILE");
        // Streamed (bounded memory, any number of holders) unless the output needs every row before
        // its first line: the HTML page, the compliance columns (read from the node for the listed
        // holders at once) and a table fitted to the terminal's width.
        const streamed = format !== "html" && !options.compliance && !(format === "table" && options.output === undefined && ctx.out.fitsTables);
        if (streamed) {
          await streamCapTable(db, capRequest, (table, entries) =>
            printStreamed(ctx.out, table, entries, { format, output: options.output, tokenAddress, maxEntries }),
          );
          return;
        }
        const table = await buildCapTable(db, capRequest);
        if (options.compliance) await addHolderCompliance(table, (await ctx.chain()).transport);
        for (const warning of table.warnings) ctx.out.warn(warning);

        const out = ctx.out;
        if (options.output !== undefined) {
          const content =
            format === "html"
              ? capTableHtml(table)
              : format === "csv"
                ? capTableCsv(table)
                : format === "json"
                  ? `${JSON.stringify(capTableJson(table), jsonReplacer, 2)}\n`
                  : `${bannerLines(table)}${renderTextTable(tableHead(table), tableRows(table), numberColumns(table))}\n`;
          writeOutputFile(options.output, content, `--output ${options.output}`);
          out.result(`Cap table of ${table.token.symbol ?? tokenAddress} (${table.entries.length} entries, block ${table.atBlock}) written to ${options.output}`);
          if (out.json) out.data({ output: options.output, format, entries: table.entries.length, atBlock: table.atBlock });
          return;
        }
        if (format === "json") {
          const document = capTableJson(table);
          if (out.json) out.data(document);
          else out.block(JSON.stringify(document, jsonReplacer, 2));
          return;
        }
        if (format === "csv") {
          out.block(capTableCsv(table).trimEnd());
          return;
        }
        const banner = unverifiedBanner(table);
        if (banner !== null) {
          out.info(banner);
          out.info("");
        }
        const summary = summaryLines(table);
        const width = Math.max(...summary.map(([label]) => label.length)) + 1;
        for (const [label, value] of summary) out.info(`${`${label}:`.padEnd(width)} ${value}`);
        out.info("");
        out.textTable(tableHead(table), tableRows(table), { alignRight: numberColumns(table), droppable: [2] });
        if (table.entries.length < table.totalEntries) {
          out.info(`${table.totalEntries - table.entries.length} more entries not shown (--max-entries ${maxEntries})`);
        }
      }, { atTime: "--at-date" }),
    );
}

/**
 * Prints a streamed cap table: the same text as the in-memory path, written a page of entries at a
 * time (to standard output, or to a temporary file renamed to --output once complete). A table
 * reads the entries twice: once for the column widths, once to print.
 */
async function printStreamed(
  out: Output,
  table: CapTable,
  entries: () => AsyncIterable<CapTableEntry[]>,
  options: { format: "table" | "csv" | "json"; output?: string; tokenAddress: string; maxEntries?: number },
): Promise<void> {
  for (const warning of table.warnings) out.warn(warning);
  let listed = 0;
  const count = (page: CapTableEntry[]) => {
    listed += page.length;
    return page;
  };
  const document = async (write: (text: string) => Promise<void>, forFile: boolean) => {
    if (options.format === "csv") {
      await write(`${csvHeader(table)}\n`);
      for await (const page of entries()) await write(count(page).map((entry) => `${csvLine(table, entry)}\n`).join(""));
      return;
    }
    if (options.format === "json") {
      // capTableJson lists the entries last: its text up to them, the entries, then the end.
      const empty = JSON.stringify(capTableJson(table), jsonReplacer, 2);
      await write(empty.slice(0, empty.length - "[]\n}".length));
      let first = true;
      for await (const page of entries()) {
        let text = "";
        for (const entry of count(page)) {
          text += `${first ? "[\n    " : ",\n    "}${JSON.stringify(entryJson(table, entry), jsonReplacer, 2).replace(/\n/g, "\n    ")}`;
          first = false;
        }
        await write(text);
      }
      await write(`${first ? "[]" : "\n  ]"}\n}\n`);
      return;
    }
    const layout = new StreamedTextTable(tableHead(table), numberColumns(table));
    const rowsOf = (page: CapTableEntry[]) =>
      page.map((entry) => tableRow(table, entry).map((cell) => (forFile ? cell : safeText(cell.replace(/[\r\n\t]+/g, " "), false))));
    for await (const page of entries()) layout.measure(rowsOf(page));
    if (forFile) await write(bannerLines(table));
    else if (!out.quiet) {
      const banner = unverifiedBanner(table);
      if (banner !== null) await write(`${safeLine(banner)}\n\n`);
      const summary = summaryLines(table);
      const width = Math.max(...summary.map(([label]) => label.length)) + 1;
      for (const [label, value] of summary) await write(`${safeLine(`${`${label}:`.padEnd(width)} ${value}`)}\n`);
      await write("\n");
    }
    await write(layout.top());
    for await (const page of entries()) await write(layout.lines(rowsOf(count(page))));
    await write(`${layout.bottom()}\n`);
    if (!forFile && !out.quiet && listed < table.totalEntries) {
      await write(`${safeLine(`${table.totalEntries - listed} more entries not shown (--max-entries ${options.maxEntries})`)}\n`);
    }
  };
  if (options.output !== undefined) {
    const file = options.output;
    await writeOutputFileStreamed(file, (write) => document(write, true), `--output ${file}`);
    out.result(`Cap table of ${table.token.symbol ?? options.tokenAddress} (${listed} entries, block ${table.atBlock}) written to ${file}`);
    if (out.json) out.data({ output: file, format: options.format, entries: listed, atBlock: table.atBlock });
    return;
  }
  if (options.format === "json") {
    // With --json the document is the result (data); with --format json it is printed as text.
    await document((text) => out.streamPiece(text, out.json ? "json" : "text"), false);
    return;
  }
  if (options.format === "csv") {
    await document((text) => out.streamPiece(text, "text"), false);
    return;
  }
  // --quiet keeps the table but not the banner, the summary and the note on --max-entries, as Output.info.
  await document((text) => out.streamPiece(text, "text"), false);
}
