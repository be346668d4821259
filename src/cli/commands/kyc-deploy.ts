import type { Command } from "commander";
import { deployKyc } from "../../token/kyc";
import { action } from "../action";
import { txEnvironment } from "../tx-env";
import { printPrepared } from "../tx-table";

export function register(program: Command): void {
  program
    .command("kyc-deploy")
    .description(
      "Deploys Kyc contract to desired ethereum network.\n\nPrepares the deployment of the KYC whitelist contract that restricted tokens consult. If this network already has one in the database, it is not redeployed: \"already deployed\" is said only when the chain has its code; a deployment recorded as mined with no code on chain (a restarted local chain) stops with exit 4. Broadcast with tx-broadcast.",
    )
    .action(
      action(async (ctx) => {
        const env = await txEnvironment(ctx);
        const result = await deployKyc(env);
        if (result.existing) {
          // "Deployed" only when the chain has its code; a deployment still on its way says so.
          ctx.out.result(
            result.existingState === "on-chain"
              ? `KYC contract already deployed at ${result.address} (status ${result.existing.status}); not redeployed`
              : `KYC contract deployment already prepared for ${result.address} (status ${result.existing.status}, not on chain yet); not prepared again: run "sto tx-broadcast" and "sto tx-update"`,
          );
          ctx.out.data({ kycAddress: result.address, redeployed: false, onChain: result.existingState === "on-chain", transactions: [] });
          return;
        }
        printPrepared(ctx.out, env.network, result.prepared, { kycAddress: result.address, redeployed: true });
        ctx.out.result(`KYC contract address will be ${result.address}`);
      }),
    );
}
