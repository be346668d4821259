import type { Command } from "commander";
import { describeTarget } from "../../config/database";
import { ledgerOf } from "../../tx/ledger";
import { action } from "../action";
import { printTransactions } from "../tx-table";

export function register(program: Command): void {
  program
    .command("issue-logs")
    .description(
      "Print out the transactions of the tokens issued in the past.\n\nEvery transaction of this network's security tokens and transfer agents in the audit database, oldest first: deployments, verifier changes, issuance.",
    )
    .action(
      action(async (ctx) => {
        const rows = await ledgerOf(await ctx.db()).transactionsByContract(ctx.config.network.name, [
          "SecurityToken",
          "UnrestrictedTransferAgent",
          "RestrictedTransferAgent",
        ]);
        if (rows.length === 0) ctx.out.info(`No tokens issued on ${ctx.config.network.name} from ${describeTarget(ctx.config.database)}.`);
        printTransactions(ctx.out, rows);
      }),
    );
}
