import type { Command } from "commander";
import { preparePayoutDeploy } from "../../corporate/payout/deploy";
import { parseFutureTime } from "../../input/dates";
import { action } from "../action";
import {
  addCorporateActionOptions,
  parseCorporateAction,
  printCorporateAction,
  recordDateJson,
  rejectPayoutOptions,
  type CorporateActionOptions,
} from "../corporate-options";
import { chainNow, txEnvironment } from "../tx-env";
import { printPrepared } from "../tx-table";

interface PayoutDeployOptions extends CorporateActionOptions {
  payoutTokenAddress?: string;
  payoutTokenName?: string;
  payoutName: string;
  expiry: string;
}

export function register(program: Command): void {
  const command = program
    .command("payout-deploy")
    .description(
      "Deploys a Payout contract: a dividend, interest or other payment in an ERC-20 currency, pro rata to the holders of a security token at a record date.\n\nPrepares, in one batch: a checkpoint of the token (unless --checkpoint-id names an existing one), the Payout contract tied to it, and its announcement on the token (token.announce). Broadcast with tx-broadcast; then fund it with payout-approve and payout-deposit, and pay with payout-dividends. By default the issuing account (its undistributed treasury shares) is excluded from the payout, and only whitelisted holders are eligible when the token is restricted. After --expiry the issuer can reclaim what is unpaid (payout-reclaim).",
    )
    .requiredOption("--token-address <address>", "address of the security token")
    .option("--payout-token-address <address>", "address of the ERC-20 paid out (e.g. a stablecoin)")
    .option("--payout-token-name <name>", "name of the payout token contract; without --payout-token-address, the latest contract of that name deployed from this database (e.g. CrowdsaleToken)")
    .requiredOption("--payout-name <name>", "name of the payout, e.g. \"Dividend 2024\"")
    .option("--expiry <date|duration>", "when payments stop and the rest becomes reclaimable: a date (2026-06-30, 2026-06-30T12:00:00Z, UTC) or a duration from now (365d, 26w, 12h)", "365d")
    .option("--options <list>", "accepted for compatibility with the original tool; the Payout contract takes no free-form options");
  addCorporateActionOptions(command, "payout").action(
    action(async (ctx, options: PayoutDeployOptions) => {
      rejectPayoutOptions(options.options);
      const { tokenAddress, announcement, recordDate } = parseCorporateAction(options);
      const env = await txEnvironment(ctx);
      const now = await chainNow(env);
      const expiry = parseFutureTime(options.expiry, "--expiry", now);
      const result = await preparePayoutDeploy(env, {
        ...recordDate,
        payoutTokenAddress: options.payoutTokenAddress,
        payoutTokenName: options.payoutTokenName,
        name: options.payoutName,
        announcement,
        expiry,
      });
      printPrepared(ctx.out, env.network, result.prepared, {
        payoutAddress: result.payoutAddress,
        payoutTokenAddress: result.payoutTokenAddress,
        tokenAddress,
        ...recordDateJson(result),
        expiry: result.expiry,
      }, result.warnings);
      printCorporateAction(ctx.out, { ...result, endLabel: "Expiry", end: result.expiry });
      ctx.out.result(`Payout address will be ${result.payoutAddress}`);
    }, { name: "--payout-name" }),
  );
}
