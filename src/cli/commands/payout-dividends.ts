import type { Command } from "commander";
import { PAYOUT_BATCH_SIZES, paymentsOf, prepareDividends } from "../../corporate/payout/dividends";
import { resolvePayoutAddress } from "../../corporate/payout/payout-token";
import { formatTokenAmount } from "../../input/amounts";
import { action } from "../action";
import { payoutStateJson, printPayoutSummary } from "../payout-output";
import { countedProgress } from "../progress";
import { txEnvironment } from "../tx-env";
import { printPrepared } from "../tx-table";
import { parseCount } from "../../input/numbers";
import { counted } from "../../input/words";

interface DividendsOptions {
  payoutAddress?: string;
  batchSize: string;
  transferAmount?: string;
}

export function register(program: Command): void {
  program
    .command("payout-dividends")
    .description(
      "Pay a funded payout to every eligible holder at its record date.\n\nFinds the holders at the payout's checkpoint (receivers of the token's Transfer events up to the checkpoint's block, with their balance at the checkpoint read on chain), and prepares payout.payBatch(holders) transactions in batches, each holder's payment recorded in the database with the external id payout:<payout>:<holder>. Re-running never pays anyone twice: holders paid, or with a payment not mined yet, are left out (and the contract itself pays nobody more than its entitlement). Holders not whitelisted now are reported and left for a later run. Broadcast with tx-broadcast, then tx-update; payout-status shows who was paid.\n\n--transfer-amount: in the original tool a holder traded shares for the payout currency with it. Shares are no longer traded in; it is now an optional safety limit: nothing is prepared if this run would pay more than that amount of the payout currency.",
    )
    .option("--payout-address <address>", "the Payout contract (default: the latest deployed from this database)")
    .option("--batch-size <holders>", "holders paid per transaction (1-300; about 61,000 gas each, so 100 use about 6.1 million gas)", "100")
    .option("--transfer-amount <amount>", "refuse to prepare anything if this run would pay more than this amount of the payout currency (a decimal number)")
    .action(
      action(async (ctx, options: DividendsOptions) => {
        const batchSize = parseCount(options.batchSize, "--batch-size", PAYOUT_BATCH_SIZES);
        const env = await txEnvironment(ctx);
        const payoutAddress = await resolvePayoutAddress(env, options.payoutAddress);
        const progress = countedProgress(ctx.out);
        const result = await prepareDividends(env, payoutAddress, {
          batchSize,
          transferAmount: options.transferAmount,
          onProgress: progress?.listener,
        }).finally(() => progress?.clear());
        const { state, plan } = result;
        const money = (units: bigint) => `${formatTokenAmount(units, state.currency.decimals)} ${state.currency.symbol}`;
        printPayoutSummary(ctx.out, state);
        if (result.prepared.length > 0) {
          printPrepared(ctx.out, env.network, result.prepared, { payout: payoutStateJson(state, await paymentsOf(env, payoutAddress)) });
        } else {
          ctx.out.data({ payout: payoutStateJson(state, await paymentsOf(env, payoutAddress)), transactions: [] });
        }
        const holdersPaid = plan.batches.reduce((sum, batch) => sum + batch.length, 0);
        ctx.out.result(
          holdersPaid > 0
            ? `Paying ${money(plan.total)} to ${counted(holdersPaid, "holder")} in ${counted(plan.batches.length, "transaction")}; broadcast with sto tx-broadcast`
            : "Nothing new to pay.",
        );
        if (plan.paid.length > 0) ctx.out.info(`${plan.paid.length === 1 ? "1 holder is" : `${plan.paid.length} holders are`} paid in full already.`);
        if (plan.pending.length > 0) ctx.out.info(`${plan.pending.length === 1 ? "1 holder has" : `${plan.pending.length} holders have`} a payment prepared or broadcast and not mined yet (run sto tx-broadcast / sto tx-update).`);
        if (plan.nothingDue.length > 0) ctx.out.info(`${plan.nothingDue.length === 1 ? "1 holder holds" : `${plan.nothingDue.length} holders hold`} too little for one base unit of the currency.`);
        if (plan.notEligible.length > 0) {
          ctx.out.warn(
            `${plan.notEligible.length === 1 ? "1 holder is not whitelisted now and was" : `${plan.notEligible.length} holders are not whitelisted now and were`} left out: ${plan.notEligible.map((position) => position.holder).join(", ")}; whitelist them and run payout-dividends again before the expiry`,
          );
        }
      }),
    );
}
