import type { Command } from "commander";
import { prepareTransactions } from "../../tx/prepare";
import { action } from "../action";
import { txEnvironment } from "../tx-env";
import { printPrepared } from "../tx-table";

export function register(program: Command): void {
  program
    .command("deploy-crowdsale-token")
    .description(
      "Command to be used only for testing\n\nPrepares the deployment of CrowdsaleToken, a plain ERC-20 (symbol CST, 18 decimals) whose whole supply of 1,000,000,000 goes to the broadcasting account: a stand-in payout currency for trying payouts on the local chain (payout-deploy --payout-token-name=CrowdsaleToken). Not a security token. Broadcast with tx-broadcast.",
    )
    .action(
      action(async (ctx) => {
        const env = await txEnvironment(ctx);
        let address = "";
        const prepared = await prepareTransactions(env, (builder) => {
          address = builder.deploy("CrowdsaleToken", [], "Deploying CrowdsaleToken (testing payout currency)");
        });
        printPrepared(ctx.out, env.network, prepared, { crowdsaleTokenAddress: address });
        ctx.out.result(`CrowdsaleToken address will be ${address}`);
      }),
    );
}
