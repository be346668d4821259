import type { Command } from "commander";
import { preparePayoutDeposit } from "../../payout/funding";
import { formatTokenAmount } from "../../token/amounts";
import { action } from "../action";
import { txEnvironment } from "../tx-env";
import { broadcastCommand } from "./tx-broadcast";

export function register(program: Command): void {
  program
    .command("payout-deposit")
    .description(
      "the private key here needs to belong to the customer who wants to fetch tokens\n\nDeposits the approved payout currency into the Payout contract (payout.fundFromAllowance(): it takes what payout-approve allowed, capped at the account's balance) and broadcasts at once, as the original tool did. The key is the account that ran payout-approve. Entitlements grow with every deposit. Then run tx-update, and pay the holders with payout-dividends.",
    )
    .option("--payout-address <address>", "the Payout contract (default: the latest deployed from this database)")
    .action(
      action(async (ctx, options: { payoutAddress?: string }) => {
        const env = await txEnvironment(ctx);
        const result = await preparePayoutDeposit(env, options.payoutAddress);
        const amount = result.expected !== undefined ? `${formatTokenAmount(result.expected, result.target.decimals)} ${result.target.symbol}` : `the approved ${result.target.symbol}`;
        ctx.out.info(`Depositing ${amount} into payout ${result.target.name} (${result.target.payoutAddress})`);
        await broadcastCommand(ctx);
      }),
    );
}
