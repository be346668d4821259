import type { Command } from "commander";
import { nextNonce } from "../../tx/nonces";
import { action } from "../action";

export function register(program: Command): void {
  program
    .command("tx-next-nonce")
    .description("Print next nonce to be consumed.\n\nThe nonce the next prepared transaction of the broadcasting account will get, from the database (or the network's, for an account the database has not used yet).")
    .action(
      action(async (ctx) => {
        const signer = await ctx.account();
        const chain = await ctx.chain();
        const fromDb = await nextNonce({ db: await ctx.db(), network: ctx.config.network.name, chainId: chain.chainId, address: signer.address });
        const nonce = fromDb ?? (await chain.provider.getTransactionCount(signer.address, "pending"));
        ctx.out.result(String(nonce));
        ctx.out.data({ address: signer.address, nextNonce: nonce, source: fromDb === undefined ? "network" : "database" });
      }),
    );
}
