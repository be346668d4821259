import type { Command } from "commander";
import { prepareFreeze } from "../../compliance/service";
import { parseTokenAmount } from "../../input/amounts";
import { parseAddress } from "../../input/address";
import { action } from "../action";
import { amountJson } from "../json-amounts";
import { txEnvironment } from "../tx-env";
import { printPrepared } from "../tx-table";

interface FreezeOptions {
  tokenAddress: string;
  holderAddress: string;
  amount?: string;
  reason: string;
}

/** `freeze` and `unfreeze` (unfreeze.ts) differ only in the direction. */
export function registerFreeze(program: Command, freeze: boolean): void {
  program
    .command(freeze ? "freeze" : "unfreeze")
    .description(
      freeze
        ? "Freeze a holder's address (it can neither send nor receive in ordinary transfers), or with --amount only part of its balance (a court order, a dispute).\n\nPrepares token.setAddressFrozen(holder, true, reason) or token.freezePartialTokens(holder, amount, reason); needs FREEZER_ROLE. Forced transfers ignore freezes. The reason is emitted on chain and kept in the audit database. Broadcast with tx-broadcast."
        : "Unfreeze a holder's address, or with --amount release part of its frozen tokens.\n\nPrepares token.setAddressFrozen(holder, false, reason) or token.unfreezePartialTokens(holder, amount, reason); needs FREEZER_ROLE. The reason is emitted on chain and kept in the audit database. Broadcast with tx-broadcast.",
    )
    .requiredOption("--token-address <address>", "address of the security token")
    .requiredOption("--holder-address <address>", "the holder")
    .option("--amount <shares>", freeze ? "freeze only this many of its shares (a decimal number)" : "release only this many of its frozen shares (a decimal number)")
    .requiredOption("--reason <text>", "why, for the record: emitted on chain and kept in the audit database")
    .action(
      action(async (ctx, options: FreezeOptions) => {
        const tokenAddress = parseAddress(options.tokenAddress, "--token-address");
        const holder = parseAddress(options.holderAddress, "--holder-address");
        const amount = options.amount === undefined ? undefined : parseTokenAmount(options.amount, 18, "--amount");
        const env = await txEnvironment(ctx);
        const result = await prepareFreeze(env, { tokenAddress, holder, amount, reason: options.reason, freeze });
        printPrepared(ctx.out, env.network, result.prepared, { tokenAddress, holder, ...amountJson("amount", amount, 18), frozen: freeze, reason: options.reason.trim() }, result.warnings);
        const what = amount === undefined ? holder : `${options.amount?.trim()} ${result.symbol} of ${holder}`;
        ctx.out.result(`${freeze ? "Freezing" : "Unfreezing"} ${what}`);
      }, { holder: "--holder-address" }),
    );
}

export function register(program: Command): void {
  registerFreeze(program, true);
}
