import type { Command } from "commander";
import { broadcastPending, formatEth } from "../../tx/broadcast";
import { ledgerOf } from "../../tx/ledger";
import { action } from "../action";
import type { CommandContext } from "../context";
import { printTransactions } from "../tx-table";
import { countedProgress } from "../progress";
import { parseCount } from "../../input/numbers";
import { broadcastEnvironment, txEnvironment } from "../tx-env";
import { parseTimeout, waitAndPrint, waitOptions } from "../wait-final";

export function register(program: Command): void {
  const command = program
    .command("tx-broadcast")
    .description(
      "Broadcast waiting transactions.\n\nSigns and sends the broadcasting account's waiting transactions in nonce order. Each signed transaction is recorded in the database before it is sent, so an interrupted run can be repeated safely: it resends the same bytes, never a different transaction for the same nonce. Then run tx-update, or give --wait to wait here until every transaction is final.",
    )
    .option("--confirmations <blocks>", "with --wait: blocks, counting the transaction's own, before a result is final (default: the network's)");
  waitOptions(command).action(
    action(async (ctx, options: { wait?: boolean; timeout?: string; confirmations?: string }) => {
      const timeout = parseTimeout(options.timeout);
      const confirmations = options.confirmations
        ? parseCount(options.confirmations, "--confirmations", { min: 1, max: 10_000 })
        : ctx.config.network.confirmations;
      await broadcastCommand(ctx, options.wait === true);
      if (options.wait) await waitAndPrint(ctx, await txEnvironment(ctx), confirmations, timeout);
    }),
  );
}

/**
 * Shared with commands that broadcast at once (kyc-manage). `thenWait`: the caller waits and
 * prints the final table (and the one JSON document) itself.
 */
export async function broadcastCommand(ctx: CommandContext, thenWait = false): Promise<void> {
  const env = await broadcastEnvironment(ctx);
  const waiting = (await ledgerOf(env.db).unfinishedTransactions(env.network, env.address)).filter((row) => row.status === "waiting" || row.status === "dropped");
  ctx.out.info(`Pending ${waiting.length} ${waiting.length === 1 ? "transaction" : "transactions"} for broadcasting in network ${env.network}`);
  const progress = countedProgress(ctx.out);
  let report;
  try {
    report = await broadcastPending(env, {
      onSent: (_row, done, total) => {
        if (total > 1) progress?.update("Broadcasting", done, total, "transactions");
      },
    });
  } finally {
    progress?.clear();
  }
  ctx.out.info(`Our address ${env.address} has ETH balance of ${formatEth(report.balanceWei)} for operations`);
  const summary = { address: env.address, balanceWei: report.balanceWei, alreadyKnown: report.alreadyKnown };
  if (thenWait) {
    if (report.sent.length === 0 && report.alreadyKnown === 0) ctx.out.info("No transactions to broadcast.");
    else ctx.out.info(`Sent ${report.sent.length} transactions${report.alreadyKnown > 0 ? ` (${report.alreadyKnown} already known to the node: resumed after an interruption)` : ""}.`);
    return;
  }
  if (report.sent.length === 0 && report.alreadyKnown === 0) {
    ctx.out.info("No transactions to broadcast.");
    ctx.out.data({ ...summary, transactions: [] });
  } else {
    printTransactions(ctx.out, report.sent, summary);
    if (report.alreadyKnown > 0) ctx.out.info(`${report.alreadyKnown} transactions were already known to the node (resumed after an interruption).`);
    ctx.out.info("Run sto tx-update to monitor your transaction propagation status (or sto tx-update --wait)");
  }
}
