import type { Command } from "commander";
import { broadcastPending, formatEth } from "../../tx/broadcast";
import { DEFAULT_MAX_IN_FLIGHT, type InFlightWait } from "../../tx/in-flight";
import { amountJson } from "../json-amounts";
import { ledgerOf } from "../../tx/ledger";
import { action } from "../action";
import type { CommandContext } from "../context";
import { printTransactions } from "../tx-table";
import { countedProgress } from "../progress";
import { parseCount } from "../../input/numbers";
import { broadcastEnvironment, txEnvironment } from "../tx-env";
import { parseTimeout, waitAndPrint, waitOptions } from "../wait-final";
import { counted } from "../../input/words";

export function register(program: Command): void {
  const command = program
    .command("tx-broadcast")
    .description(
      "Broadcast waiting transactions.\n\nSigns and sends the broadcasting account's waiting transactions in nonce order. Each signed transaction is recorded in the database before it is sent, so an interrupted run can be repeated safely: it resends the same bytes, never a different transaction for the same nonce. Then run tx-update, or give --wait to wait here until every transaction is final.\n\nFees are decided when signing: max fee = 2 × the base fee + the priority fee; a broadcast large enough to fill blocks by itself raises the base fee, so each of its transactions' max fee allows for the full blocks the ones before it can fill (× 9/8 a block), as far as the account's balance pays.\n\nBack-pressure: at most --max-in-flight of the account's transactions are sent and not yet mined at any time (default ${DEFAULT_MAX_IN_FLIGHT}, the per-account slots of geth, Erigon and reth pools; no limit on the local chain). When the limit is reached, or the node answers that its pool or the account's share of it is full, sending pauses until blocks mine some of them and then resumes by itself with the same signed bytes: neither is a failure. It gives up (exit 3, nothing lost) only when nothing of the account is mined for --timeout seconds.",
    )
    .option("--confirmations <blocks>", "with --wait: blocks, counting the transaction's own, before a result is final (default: the network's)")
    .option("--max-in-flight <count>", `at most this many of the account's transactions sent and unmined at a time; 0: no limit (default: ${DEFAULT_MAX_IN_FLIGHT}, no limit on the local chain)`);
  waitOptions(command).action(
    action(async (ctx, options: { wait?: boolean; timeout?: string; confirmations?: string; maxInFlight?: string }) => {
      const timeout = parseTimeout(options.timeout);
      const confirmations = options.confirmations
        ? parseCount(options.confirmations, "--confirmations", { min: 1, max: 10_000 })
        : ctx.config.network.confirmations;
      const maxInFlight = options.maxInFlight === undefined ? undefined : parseCount(options.maxInFlight, "--max-in-flight", { min: 0, max: 1_000_000 });
      await broadcastCommand(ctx, options.wait === true, { maxInFlight, stallSeconds: timeout });
      if (options.wait) await waitAndPrint(ctx, await txEnvironment(ctx), confirmations, timeout);
    }),
  );
}

/**
 * Shared with commands that broadcast at once (kyc-manage). `thenWait`: the caller waits and
 * prints the final table (and the one JSON document) itself.
 */
export async function broadcastCommand(ctx: CommandContext, thenWait = false, pacing: BroadcastPacing = {}): Promise<void> {
  const env = await broadcastEnvironment(ctx);
  const waiting = (await ledgerOf(env.db).unfinishedTransactions(env.network, env.address)).filter((row) => row.status === "waiting" || row.status === "dropped");
  ctx.out.info(`Pending ${counted(waiting.length, "transaction")} for broadcasting in network ${env.network}`);
  const progress = countedProgress(ctx.out);
  let report;
  try {
    const local = ctx.config.network.name === "local";
    let toldLimit: number | undefined;
    report = await broadcastPending(env, {
      maxInFlight: pacing.maxInFlight ?? (local ? 0 : DEFAULT_MAX_IN_FLIGHT),
      // The local chain mines within a second (or at once); a public network every 2 to 12 seconds.
      pollMs: local ? 100 : 2_000,
      stallMs: (pacing.stallSeconds ?? 600) * 1000,
      onWait: (wait) => {
        // Once per limit the node taught us, not once per refusal.
        if (wait.reason === "pool-full" && wait.limit !== toldLimit) {
          toldLimit = wait.limit;
          progress?.clear();
          ctx.out.info(describePoolFull(wait));
        }
      },
      onSent: (_row, done, total) => {
        if (total > 1) progress?.update("Broadcasting", done, total, "transactions");
      },
    });
  } finally {
    progress?.clear();
  }
  ctx.out.info(`Our address ${env.address} has ETH balance of ${formatEth(report.balanceWei)} for operations`);
  const summary = { address: env.address, ...amountJson("balance", report.balanceWei, 18), balanceWei: report.balanceWei, alreadyKnown: report.alreadyKnown };
  if (thenWait) {
    if (report.sent.length === 0 && report.alreadyKnown === 0) ctx.out.info("No transactions to broadcast.");
    else ctx.out.info(`Sent ${counted(report.sent.length, "transaction")}${report.alreadyKnown > 0 ? ` (${report.alreadyKnown} already known to the node: resumed after an interruption)` : ""}.`);
    return;
  }
  if (report.sent.length === 0 && report.alreadyKnown === 0) {
    ctx.out.info("No transactions to broadcast.");
    ctx.out.data({ ...summary, transactions: [] });
  } else {
    printTransactions(ctx.out, report.sent, summary);
    if (report.alreadyKnown > 0) ctx.out.info(`${report.alreadyKnown === 1 ? "1 transaction was" : `${report.alreadyKnown} transactions were`} already known to the node (resumed after an interruption).`);
    ctx.out.info("Run sto tx-update to monitor your transaction propagation status (or sto tx-update --wait)");
  }
}

export interface BroadcastPacing {
  /** --max-in-flight; undefined: the default of the network. */
  maxInFlight?: number;
  /** How long nothing of the account may be mined while sending waits (--timeout). */
  stallSeconds?: number;
}

function describePoolFull(wait: InFlightWait): string {
  return `The node's pool has no room for more of this account's transactions now ("${wait.message ?? ""}", ${wait.inFlight} in flight): waiting for the next block, then sending the same signed transactions again, at most ${wait.limit} in flight.`;
}
