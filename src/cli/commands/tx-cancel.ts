import type { Command } from "commander";
import { DEFAULT_FEE_BUMP_PERCENT, MIN_FEE_BUMP_PERCENT } from "../../tx/fees";
import { action } from "../action";
import { parseNonce, parsePercent, replaceCommand } from "./tx-bump";

export function register(program: Command): void {
  program
    .command("tx-cancel")
    .description(
      "Replace a transaction that is not mined by a no-op.\n\nSigns a 0-value transfer from the broadcasting account to itself with the same nonce (and fees above any earlier version's) and sends it: if it is mined instead of the original, the original never can be, and the later transactions are unblocked. tx-update then records the original as failed (cancelled). Use it for a transaction the node rejects as invalid, or one that must not happen any more. The original stays in the database, with every version.",
    )
    .requiredOption("--nonce <nonce>", "the transaction to cancel")
    .option("--fee-bump-percent <percent>", `how much higher each fee cap is than the earlier versions', at least ${MIN_FEE_BUMP_PERCENT}`, String(DEFAULT_FEE_BUMP_PERCENT))
    .action(
      action(async (ctx, options: { nonce: string; feeBumpPercent: string }) => {
        await replaceCommand(ctx, { nonce: parseNonce(options.nonce), feeBumpPercent: parsePercent(options.feeBumpPercent), cancel: true });
      }),
    );
}
