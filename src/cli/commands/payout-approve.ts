import type { Command } from "commander";
import { preparePayoutApprove } from "../../corporate/payout/funding";
import { action } from "../action";
import { txEnvironment } from "../tx-env";
import { broadcastNow } from "../broadcast-now";

export function register(program: Command): void {
  program
    .command("payout-approve")
    .description(
      "Approve tokens to the payout contract.\n\nPrepares payoutToken.approve(payout, amount) from the broadcasting account and broadcasts it at once (only prepares when the key is not on this machine) (with any other waiting transactions, in nonce order), as the original tool did. Without --amount the account's whole balance of the payout currency is approved. The payout is the latest one deployed from this database unless --payout-address is given; its currency is read from the contract, and --payout-token-name/--payout-token-address, if given, must name the same token. Then run payout-deposit.",
    )
    .option("--payout-token-address <address>", "address of the payout token contract (checked against the payout's)")
    .option("--payout-token-name <name>", "name of the payout token smart contract (checked against the payout's)")
    .option("--payout-address <address>", "the Payout contract (default: the latest deployed from this database)")
    .option("--amount <amount>", "amount of the payout currency to approve, as a decimal number (default: the account's whole balance)")
    .action(
      action(async (ctx, options: { payoutTokenAddress?: string; payoutTokenName?: string; payoutAddress?: string; amount?: string }) => {
        const env = await txEnvironment(ctx);
        const result = await preparePayoutApprove(env, options);
        for (const warning of result.warnings) ctx.out.warn(warning);
        ctx.out.info(`Approving ${result.amountText} ${result.target.symbol} to payout ${result.target.name} (${result.target.payoutAddress})`);
        await broadcastNow(ctx, result.prepared);
      }),
    );
}
