import type { Command } from "commander";
import { parsePositiveInteger } from "../../config/resolve";
import { ledgerOf } from "../../tx/ledger";
import { action } from "../action";
import { printTransactions } from "../tx-table";

export function register(program: Command): void {
  program
    .command("tx-last")
    .description("Print latest transactions from database.")
    .option("--limit <count>", "how many transactions to print", "5")
    .action(
      action(async (ctx, options: { limit: string }) => {
        const limit = Number(parsePositiveInteger(options.limit, "--limit"));
        printTransactions(ctx.out, await ledgerOf(ctx.db()).lastTransactions(ctx.config.network.name, limit));
      }),
    );
}
