import type { Command } from "commander";
import { parseAddress } from "../../input/address";
import { prepareCheckpoint } from "../../corporate/record-date";
import { action } from "../action";
import { txEnvironment } from "../tx-env";
import { printPrepared } from "../tx-table";

export function register(program: Command): void {
  program
    .command("checkpoint")
    .description(
      "Take a checkpoint (record date) of a security token.\n\nPrepares token.checkpoint(): every balance as of that transaction stays readable forever, so payouts and votes tied to the checkpoint id ignore later trading. Prints the id the checkpoint is expected to get (the current id plus checkpoints prepared and not mined yet, plus one). Broadcast with tx-broadcast. payout-deploy and voting-deploy take a checkpoint themselves unless given --checkpoint-id.",
    )
    .requiredOption("--token-address <address>", "address of the security token")
    .action(
      action(async (ctx, options: { tokenAddress: string }) => {
        const tokenAddress = parseAddress(options.tokenAddress, "--token-address");
        const env = await txEnvironment(ctx);
        const { plan, prepared } = await prepareCheckpoint(env, tokenAddress);
        printPrepared(ctx.out, env.network, prepared, { tokenAddress, checkpointId: plan.checkpointId.toString() });
        ctx.out.result(`Checkpoint id will be ${plan.checkpointId}`);
      }),
    );
}
