import type { Command } from "commander";
import { prepareBurn } from "../../corporate/recovery/recovery";
import { parseAddress } from "../../input/address";
import { action } from "../action";
import { txEnvironment } from "../tx-env";
import { printPrepared } from "../tx-table";

export function register(program: Command): void {
  program
    .command("burn")
    .description(
      "Destroy shares held by the broadcasting account (the issuer's treasury).\n\nPrepares token.burnTokens(amount); needs BURNER_ROLE. To cancel shares held by someone else, force-transfer them to the treasury first. Broadcast with tx-broadcast.",
    )
    .requiredOption("--token-address <address>", "address of the security token")
    .requiredOption("--amount <amount>", 'number of shares as a decimal number, or "all" for the account\'s whole balance')
    .action(
      action(async (ctx, options: { tokenAddress: string; amount: string }) => {
        const tokenAddress = parseAddress(options.tokenAddress, "--token-address");
        const env = await txEnvironment(ctx);
        const result = await prepareBurn(env, { tokenAddress, amount: options.amount });
        printPrepared(ctx.out, env.network, result.prepared, { tokenAddress, amount: result.amountText, amountUnits: result.amount.toString() }, result.warnings);
        ctx.out.result(`Burning ${result.amountText} ${result.symbol}`);
      }),
    );
}
