import type { Command } from "commander";
import { deployKyc } from "../../token/kyc";
import { action } from "../action";
import { txEnvironment } from "../tx-env";
import { printTransactions } from "../tx-table";

export function register(program: Command): void {
  program
    .command("kyc-deploy")
    .description(
      "Deploys Kyc contract to desired ethereum network.\n\nPrepares the deployment of the KYC whitelist contract that restricted tokens consult. If this network already has one in the database, it is not redeployed. Broadcast with tx-broadcast.",
    )
    .action(
      action(async (ctx) => {
        const env = await txEnvironment(ctx);
        const result = await deployKyc(env);
        if (result.existing) {
          ctx.out.result(`KYC contract already deployed at ${result.address} (status ${result.existing.status}); not redeployed`);
          ctx.out.data({ kycAddress: result.address, redeployed: false, transactions: [] });
          return;
        }
        ctx.out.info(`Prepared transactions for broadcasting for network ${env.network}`);
        printTransactions(ctx.out, result.prepared, { kycAddress: result.address, redeployed: true });
        ctx.out.result(`KYC contract address will be ${result.address}`);
      }),
    );
}
