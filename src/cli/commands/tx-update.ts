import type { Command } from "commander";
import { updateTransactions } from "../../tx/update";
import { action } from "../action";
import { parseCount } from "../../input/numbers";
import { txEnvironment } from "../tx-env";
import { printTransactions } from "../tx-table";
import { parseTimeout, waitAndPrint, waitOptions, warnReorganised } from "../wait-final";

export function register(program: Command): void {
  const command = program
    .command("tx-update")
    .description(
      "Update transaction status.\n\nQueries the node for the broadcast transactions' receipts and records block, success or failure and the revert reason. A result is final after --confirmations blocks (default: 1 on the local chain, more on real networks) and only while its block is still canonical; until then the status is mining. A success recorded in the last 256 blocks whose block a reorganisation removed is reported and awaited again: sto tx-broadcast resends it if the node dropped it. Prints the transactions that changed or are still pending. With --wait, looks again at every new block (and every few seconds without one) until every broadcast transaction is final.",
    )
    .option("--confirmations <blocks>", "blocks, counting the transaction's own, before a result is final");
  waitOptions(command).action(
      action(async (ctx, options: { confirmations?: string; wait?: boolean; timeout?: string }) => {
        const timeout = parseTimeout(options.timeout);
        const env = await txEnvironment(ctx);
        const confirmations = options.confirmations
          ? parseCount(options.confirmations, "--confirmations", { min: 1, max: 10_000 })
          : ctx.config.network.confirmations;
        if (options.wait) {
          await waitAndPrint(ctx, env, confirmations, timeout);
          return;
        }
        const report = await updateTransactions(env, { confirmations });
        for (const row of report.reorganised) warnReorganised(ctx.out, row);
        if (report.rows.length === 0) {
          ctx.out.info("No broadcast transactions waiting for a result.");
          ctx.out.data({ transactions: [] });
          return;
        }
        printTransactions(ctx.out, report.rows);
        const failed = report.rows.filter((row) => row.status === "failed");
        for (const row of failed) ctx.out.warn(`nonce ${row.nonce} ("${row.note}") failed: ${row.revertReason ?? "unknown reason"}`);
        const open = report.rows.filter((row) => row.status !== "success" && row.status !== "failed").length;
        if (open > 0) ctx.out.info(`${open === 1 ? "1 transaction is" : `${open} transactions are`} not final yet; run sto tx-update again later, or wait with sto tx-update --wait`);
      }),
    );
}
