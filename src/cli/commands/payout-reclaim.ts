import type { Command } from "commander";
import { prepareReclaim } from "../../corporate/payout/claims";
import { action } from "../action";
import { txEnvironment } from "../tx-env";
import { printPrepared } from "../tx-table";

export function register(program: Command): void {
  program
    .command("payout-reclaim")
    .description(
      "Take back what is left in an expired payout.\n\nPrepares payout.reclaim(to) after the payout's expiry: unclaimed payments, the parts of holders who were never eligible and the rounding remainder go to --to (default: the broadcasting account, which must hold the payout's admin role). Broadcast with tx-broadcast.",
    )
    .option("--payout-address <address>", "the Payout contract (default: the latest deployed from this database)")
    .option("--to <address>", "who receives the funds (default: the broadcasting account)")
    .action(
      action(async (ctx, options: { payoutAddress?: string; to?: string }) => {
        const env = await txEnvironment(ctx);
        const result = await prepareReclaim(env, options.payoutAddress, options.to);
        printPrepared(ctx.out, env.network, result.prepared, { payoutAddress: result.payoutAddress, amount: result.amount, to: result.to });
        ctx.out.result(`Reclaiming ${result.amountText} ${result.symbol} to ${result.to}`);
      }),
    );
}
