import type { Command } from "commander";
import { checkTransfer } from "../../compliance/service";
import { parseTokenAmount } from "../../input/amounts";
import { parseAddress } from "../../input/address";
import { action } from "../action";
import { amountJson } from "../json-amounts";

interface ComplianceCheckOptions {
  tokenAddress: string;
  from: string;
  to: string;
  amount: string;
}

export function register(program: Command): void {
  program
    .command("compliance-check")
    .description(
      "Tell whether a transfer would be allowed now, and if not, which rule refuses it (ERC-1404 detectTransferRestriction and messageForTransferRestriction; codes in docs/compliance.md).\n\nReads only; exits 0 either way (the answer is in the output and in the JSON field allowed).",
    )
    .requiredOption("--token-address <address>", "address of the security token")
    .requiredOption("--from <address>", "the sender")
    .requiredOption("--to <address>", "the receiver")
    .requiredOption("--amount <shares>", "number of shares (a decimal number)")
    .action(
      action(async (ctx, options: ComplianceCheckOptions) => {
        const tokenAddress = parseAddress(options.tokenAddress, "--token-address");
        const from = parseAddress(options.from, "--from");
        const to = parseAddress(options.to, "--to");
        const amount = parseTokenAmount(options.amount, 18, "--amount");
        const chain = await ctx.chain();
        const check = await checkTransfer({ provider: chain.provider, artifacts: ctx.artifacts(), network: ctx.config.network.name, chainId: chain.chainId, db: await ctx.db() }, tokenAddress, from, to, amount);
        ctx.out.result(check.allowed ? "Allowed (code 0)" : `Refused: code ${check.code} (${check.rule}): ${check.message}`);
        ctx.out.data({ tokenAddress, from, to, ...amountJson("amount", amount, 18), ...check });
      }),
    );
}
