import { Option, type Command } from "commander";
import { StoError } from "../../errors";
import { writeOutputFile } from "../../files";
import { parseBoolean } from "../../config/resolve";
import {
  buildCapTable,
  ORDER_BY,
  ORDER_DIRECTIONS,
  type OrderBy,
  type OrderDirection,
} from "../../captable/captable";
import fs from "node:fs";
import { capTableHtml } from "../../captable/html";
import { addHolderCompliance } from "../../captable/compliance";
import { capTableCsv, capTableJson, numberColumns, summaryLines, tableHead, tableRows, unverifiedBanner } from "../../captable/format";
import { readIdentityFile } from "../../captable/identity-file";
import { jsonReplacer } from "../output";
import { action } from "../action";
import { renderTextTable } from "../text-table";
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
the current ones.`;

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
        const table = await buildCapTable(db, {
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
        });
        if (options.compliance) await addHolderCompliance(table, (await ctx.chain()).transport);
        for (const warning of table.warnings) ctx.out.warn(warning);

        const out = ctx.out;
        if (options.output !== undefined) {
          if (fs.existsSync(options.output) && !options.force) {
            throw new StoError(`--output ${options.output}: the file exists (use --force to overwrite)`);
          }
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
        if (format === "html") throw new StoError("--format html needs --output FILE");
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
