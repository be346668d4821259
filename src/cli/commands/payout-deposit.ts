import type { Command } from "commander";
import { preparePayoutDeposit } from "../../corporate/payout/funding";
import { formatTokenAmount } from "../../input/amounts";
import { action } from "../action";
import { txEnvironment } from "../tx-env";
import { broadcastNow } from "../broadcast-now";

export function register(program: Command): void {
  program
    .command("payout-deposit")
    .description(
      "Deposit the approved payout tokens into the payout contract.\n\nPrepares payout.fundFromAllowance() (the contract takes what payout-approve allowed it, capped at the account's balance) and broadcasts it at once (only prepares when the key is not on this machine), as the original tool did. Run it with the key that ran payout-approve. Every deposit raises every holder's entitlement pro rata. Then run tx-update, and pay the holders with payout-dividends.",
    )
    .option("--payout-address <address>", "the Payout contract (default: the latest deployed from this database)")
    .action(
      action(async (ctx, options: { payoutAddress?: string }) => {
        const env = await txEnvironment(ctx);
        const result = await preparePayoutDeposit(env, options.payoutAddress);
        const amount = result.expected !== undefined ? `${formatTokenAmount(result.expected, result.target.decimals)} ${result.target.symbol}` : `the approved ${result.target.symbol}`;
        ctx.out.info(`Depositing ${amount} into payout ${result.target.name} (${result.target.payoutAddress})`);
        await broadcastNow(ctx, result.prepared);
      }),
    );
}
