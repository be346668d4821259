import type { Command } from "commander";
import { prepareBurn } from "../../corporate/recovery/recovery";
import { parseAddress } from "../../input/address";
import { action } from "../action";
import { txEnvironment } from "../tx-env";
import { printTransactions } from "../tx-table";

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
        for (const warning of result.warnings) ctx.out.warn(warning);
        ctx.out.info(`Prepared transactions for broadcasting for network ${env.network}`);
        printTransactions(ctx.out, result.prepared, { tokenAddress, amount: result.amountText, amountUnits: result.amount.toString() });
        ctx.out.result(`Burning ${result.amountText} ${result.symbol}`);
      }),
    );
}
