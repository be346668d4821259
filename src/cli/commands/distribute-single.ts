import type { Command } from "commander";
import { prepareDistribution } from "../../distribution";
import { action } from "../action";
import { printDistribution } from "../distribution-output";
import { txEnvironment } from "../tx-env";

interface DistributeSingleOptions {
  tokenAddress: string;
  toAddress: string;
  externalId: string;
  email: string;
  name: string;
  amount: string;
  lockedUntil?: string;
}

export function register(program: Command): void {
  program
    .command("distribute-single")
    .description(
      "Send out tokens to one individual shareholder.\n\nThe same checks and bookkeeping as one row of distribute-multiple: running it again with the same external id prepares nothing new; the same external id with another receiver or amount is refused; the token itself is refused as receiver, another contract gets a warning (it may not be able to move the shares). With --locked-until the shares are sent with transferWithLockup and cannot leave the receiver before that time (docs/compliance.md). Broadcast with tx-broadcast.",
    )
    .requiredOption("--token-address <address>", "Token contract address")
    .requiredOption("--to-address <address>", "Receiver")
    .requiredOption("--external-id <id>", "External id string for this transaction - no duplicates allowed")
    .requiredOption("--email <email>", "Receiver email (for audit log only)")
    .requiredOption("--name <name>", "Receiver name (for audit log only)")
    .requiredOption("--amount <amount>", "Amount of tokens as a decimal number")
    .option("--locked-until <time>", "lock the shares on the receiver until this time: an ISO 8601 date or date-time (UTC unless an offset is given) or unix seconds, in the future; needs ISSUER_ROLE")
    .action(
      action(async (ctx, options: DistributeSingleOptions) => {
        const env = await txEnvironment(ctx);
        const result = await prepareDistribution(env, {
          tokenAddress: options.tokenAddress,
          rows: [
            {
              externalId: options.externalId,
              email: options.email,
              name: options.name,
              address: options.toAddress,
              amount: options.amount,
              ...(options.lockedUntil === undefined ? {} : { lockedUntil: options.lockedUntil }),
            },
          ],
          origin: { kind: "options", command: "distribute-single" },
        });
        await printDistribution(ctx.out, env.db, env.network, result);
      }, { address: "--to-address" }),
    );
}
