import type { Command } from "commander";
import { ledgerOf } from "../../tx/ledger";
import { action } from "../action";
import { parseCount } from "../../input/numbers";
import { printTransactions } from "../tx-table";

export function register(program: Command): void {
  program
    .command("tx-last")
    .description("Print latest transactions from database.")
    .option("--limit <count>", "how many transactions to print", "5")
    .action(
      action(async (ctx, options: { limit: string }) => {
        const limit = parseCount(options.limit, "--limit", { min: 1, max: 100_000_000 });
        printTransactions(ctx.out, await ledgerOf(await ctx.db()).lastTransactions(ctx.config.network.name, limit));
      }),
    );
}
