import type { Command } from "commander";
import { preparePause } from "../../compliance/service";
import { parseAddress } from "../../input/address";
import { action } from "../action";
import { txEnvironment } from "../tx-env";
import { printPrepared } from "../tx-table";

/** `pause` and `unpause` (unpause.ts) differ only in the direction. */
export function registerPause(program: Command, pause: boolean): void {
  program
    .command(pause ? "pause" : "unpause")
    .description(
      pause
        ? "Stop every ordinary transfer of a security token (an incident, a corporate action).\n\nPrepares token.pause(); needs PAUSER_ROLE. Forced transfers, issuance and burns keep working. Broadcast with tx-broadcast; undo with unpause."
        : "Let ordinary transfers of a paused security token resume.\n\nPrepares token.unpause(); needs PAUSER_ROLE. Broadcast with tx-broadcast.",
    )
    .requiredOption("--token-address <address>", "address of the security token")
    .action(
      action(async (ctx, options: { tokenAddress: string }) => {
        const tokenAddress = parseAddress(options.tokenAddress, "--token-address");
        const env = await txEnvironment(ctx);
        const result = await preparePause(env, tokenAddress, pause);
        printPrepared(ctx.out, env.network, result.prepared, { tokenAddress, paused: pause }, result.warnings);
        ctx.out.result(pause ? `Pausing transfers of ${result.symbol}` : `Resuming transfers of ${result.symbol}`);
      }),
    );
}

export function register(program: Command): void {
  registerPause(program, true);
}
