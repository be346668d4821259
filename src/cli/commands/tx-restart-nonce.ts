import type { Command } from "commander";
import { restartNonce } from "../../tx/nonces";
import { action } from "../action";
import { txEnvironment } from "../tx-env";

export function register(program: Command): void {
  program
    .command("tx-restart-nonce")
    .description(
      "Resets the broadcasting account nonce.\n\nTakes the account's next nonce from the network. Refused when the database already holds transactions of the account, whose nonces would be reused.",
    )
    .action(
      action(async (ctx) => {
        const env = await txEnvironment(ctx);
        const result = await restartNonce(env);
        ctx.out.result(`Next nonce of ${env.address} on ${env.network} is now ${result.next}`);
        ctx.out.data({ address: env.address, previousNonce: result.previous ?? null, nextNonce: result.next });
      }),
    );
}
