import type { Command } from "commander";
import { prepareClaim } from "../../corporate/payout/claims";
import { action } from "../action";
import { txEnvironment } from "../tx-env";
import { broadcastNow } from "../broadcast-now";

export function register(program: Command): void {
  program
    .command("payout-claim")
    .description(
      "Collect a holder's own payment from a payout.\n\nRun with the holder's key (--ethereum-private-key or a keystore): prepares payout.claim() and broadcasts it at once (only prepares when the key is not on this machine). Pays what is due to the holder for its shares at the checkpoint, if it is eligible; the issuer can instead pay everyone with payout-dividends.",
    )
    .option("--payout-address <address>", "the Payout contract (default: the latest deployed from this database)")
    .action(
      action(async (ctx, options: { payoutAddress?: string }) => {
        const env = await txEnvironment(ctx);
        const result = await prepareClaim(env, options.payoutAddress);
        ctx.out.info(`Claiming ${result.amountText} ${result.symbol} from payout ${result.name} (${result.payoutAddress})`);
        await broadcastNow(ctx, result.prepared);
      }),
    );
}
