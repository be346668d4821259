import type { Command } from "commander";
import { parseTokenAmount } from "../../input/amounts";
import { parseRestriction, prepareIssue } from "../../token/issuance";
import { action } from "../action";
import { txEnvironment } from "../tx-env";
import { printTransactions } from "../tx-table";

interface IssueOptions {
  symbol: string;
  name: string;
  url: string;
  amount: string;
  transferRestriction?: string;
  kycAddress?: string;
}

export function register(program: Command): void {
  program
    .command("issue")
    .description(
      "Issue out a new security token.\n\n* Creates a new share series\n* Allocates all new shares to the management account\n* Sets the share transfer restriction mode\n\nPrepares four transactions (deploy token, deploy transfer agent, set it as the token's verifier, issue the initial shares); broadcast them with tx-broadcast. Restricted mode needs a KYC contract (sto kyc-deploy).",
    )
    .requiredOption("--symbol <symbol>", "ticker symbol")
    .requiredOption("--name <name>", "name of the share series")
    .requiredOption("--url <url>", "URL with information about the issuer")
    .requiredOption("--amount <shares>", "number of initial shares (a decimal number; 18 decimals)")
    .option("--transfer-restriction <mode>", "unrestricted (default) or restricted (both parties whitelisted in KYC)", "unrestricted")
    .option("--kyc-address <address>", "KYC contract for restricted mode (default: the one kyc-deploy recorded)")
    .action(
      action(async (ctx, options: IssueOptions) => {
        const restriction = parseRestriction(options.transferRestriction);
        const amount = parseTokenAmount(options.amount, 18, "--amount");
        const env = await txEnvironment(ctx);
        const result = await prepareIssue(env, {
          name: options.name,
          symbol: options.symbol,
          url: options.url,
          amount,
          amountText: options.amount.trim(),
          restriction,
          kycAddress: options.kycAddress,
        });
        for (const warning of result.warnings) ctx.out.warn(warning);
        ctx.out.info(`Prepared transactions for broadcasting for network ${env.network}`);
        printTransactions(ctx.out, result.prepared, {
          tokenAddress: result.tokenAddress,
          transferAgentAddress: result.transferAgentAddress,
          kycAddress: result.kycAddress ?? null,
        });
        ctx.out.result(`Token address will be ${result.tokenAddress}`);
      }, { restriction: "--transfer-restriction" }),
    );
}
