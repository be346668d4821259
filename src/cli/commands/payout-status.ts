import type { Command } from "commander";
import { paymentsOf, reconcilePayments } from "../../corporate/payout/dividends";
import { resolvePayoutAddress } from "../../corporate/payout/payout-token";
import { readPayoutState } from "../../corporate/payout/state";
import { action } from "../action";
import { identityFileOption, identityNames } from "../identity-option";
import { payoutStateJson, printHolderTable, printPayoutSummary } from "../payout-output";
import { countedProgress } from "../progress";

export function register(program: Command): void {
  const command = program
    .command("payout-status")
    .description(
      "Print a payout's funding and payments.\n\nReads the Payout contract and every holder at its record date: shares at the checkpoint, entitlement, paid, due, and the payment prepared by payout-dividends (recording what mined payments actually paid, from the contract's Paid events). With --identity-file (as cap-table reads it) the table names the holders. The unpaid amount is broken down into what is due to eligible holders, to holders not whitelisted now, and the rounding remainder (what rounding every entitlement down leaves to nobody; it is reclaimable after expiry with the rest).",
    )
    .option("--payout-address <address>", "the Payout contract (default: the latest deployed from this database)");
  identityFileOption(command)
    .action(
      action(async (ctx, options: { payoutAddress?: string; identityFile?: string }) => {
        const nameOf = identityNames(options.identityFile);
        const chain = await ctx.chain();
        const env = { db: await ctx.db(), provider: chain.provider, artifacts: ctx.artifacts(), network: ctx.config.network.name, chainId: chain.chainId };
        const payoutAddress = await resolvePayoutAddress(env, options.payoutAddress);
        await reconcilePayments(env, payoutAddress);
        const progress = countedProgress(ctx.out);
        const state = await readPayoutState(env, payoutAddress, progress?.listener).finally(() => progress?.clear());
        const payments = await paymentsOf(env, payoutAddress);
        printPayoutSummary(ctx.out, state);
        printHolderTable(ctx.out, state, payments, nameOf);
        ctx.out.data(payoutStateJson(state, payments, nameOf));
      }),
    );
}
